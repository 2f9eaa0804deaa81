using System.Diagnostics;
using System.Text.Json.Nodes;
using Sandbox.Server.Tests.Infrastructure;

namespace Sandbox.Server.Tests.Tests;

[Collection(ServerCollection.Name)]
public sealed class ExecTests(ServerFixture fixture)
{
    private ServerProcess S => fixture.Server;

    [Fact]
    public async Task Stdout_stderr_and_exit_code()
    {
        await using var box = await Box.CreateAsync(S, tag: "exec");
        var r = await box.ExecRawAsync("echo out; echo err >&2; printf 'h\\xc3\\xa9'; exit 3");
        r.Expect(200); // a non-zero exit is a normal result
        var j = r.Json;
        Assert.Equal("out\nhé", j.Str("stdout"));
        Assert.Equal("err\n", j.Str("stderr"));
        Assert.Equal(3, j.GetProperty("exit_code").GetInt32());
        var ok = await box.ExecAsync("true");
        Assert.Equal(new ExecResult("", "", 0), ok);
    }

    [Fact]
    public async Task Env_and_cwd()
    {
        await using var box = await Box.CreateAsync(S, tag: "envcwd");
        var r = await box.ExecAsync("echo \"$FOO $BAR_2\"; pwd", extra: new JsonObject
        {
            ["env"] = new JsonObject { ["FOO"] = "foo value", ["BAR_2"] = "bar" },
            ["cwd"] = "/tmp",
        });
        Assert.Equal("foo value bar\n/tmp\n", r.Stdout);
        await box.RunAsync("mkdir -p /home/user/sub");
        Assert.Equal("/home/user/sub", (await box.ExecAsync("pwd", extra: new JsonObject { ["cwd"] = "/home/user/sub" })).Out);
        (await box.ExecRawAsync("pwd", extra: new JsonObject { ["cwd"] = "/no/such/dir" })).ExpectError(400, "InvalidWorkingDirectory");
        // Shell choice.
        Assert.Equal("sh-ok", (await box.ExecAsync("echo sh-ok", extra: new JsonObject { ["shell"] = "/bin/sh" })).Out);
    }

    [Fact]
    public async Task Timeout_is_408_and_kills_the_process()
    {
        await using var box = await Box.CreateAsync(S, tag: "timeout");
        var marker = Random.Shared.Next(1000, 9999);
        var watch = Stopwatch.StartNew();
        var r = await box.ExecRawAsync($"echo started; sleep {marker}.5", timeout: 2);
        watch.Stop();
        r.ExpectError(408, "CommandTimeout");
        Assert.True(watch.Elapsed < TimeSpan.FromSeconds(10), $"timeout of 2 s answered after {watch.Elapsed}");
        await Poll.UntilAsync(async () => await box.RunAsync("for p in /proc/[0-9]*; do tr '\\0' ' ' < $p/cmdline 2>/dev/null; echo; done"),
            ps => !ps.Contains($"sleep {marker}.5"), TimeSpan.FromSeconds(5), "the timed-out process to be gone");
        // Not on the host either.
        var pids = HostProbe.CgroupDirs(box.Id, "pids").SelectMany(HostProbe.Procs);
        Assert.DoesNotContain(pids, p => HostProbe.CmdLine(p).Contains($"sleep {marker}.5"));
        // A background child of a timed-out command goes too (the process group is killed).
        var r2 = await box.ExecRawAsync($"sleep {marker}.25 & wait", timeout: 1);
        r2.ExpectError(408, "CommandTimeout");
        await Poll.UntilAsync(async () => await box.RunAsync("for p in /proc/[0-9]*; do tr '\\0' ' ' < $p/cmdline 2>/dev/null; echo; done"),
            ps => !ps.Contains($"sleep {marker}.25"), TimeSpan.FromSeconds(5), "the timed-out background process to be gone");
    }

    [Fact]
    public async Task Missing_shell_is_400_CommandNotFound()
    {
        await using var box = await Box.CreateAsync(S, tag: "noshell");
        (await box.ExecRawAsync("echo hi", extra: new JsonObject { ["shell"] = "/bin/no-such-shell" })).ExpectError(400, "CommandNotFound");
        Assert.Equal("hi", (await box.ExecAsync("echo hi")).Out);
    }

    [Fact]
    public async Task Missing_command_is_422()
    {
        await using var box = await Box.CreateAsync(S, tag: "nocmd");
        (await S.ExecRawAsync(box.DataplaneUrl, new { timeout = 5 })).ExpectValidation("command");
        (await S.ExecRawAsync(box.DataplaneUrl, new { command = 5 })).ExpectValidation("command");
    }

    [Fact]
    public async Task Large_output_is_complete()
    {
        await using var box = await Box.CreateAsync(S, tag: "bigout");
        var r = await box.ExecAsync("seq 1 200000");
        Assert.Equal(0, r.ExitCode);
        Assert.Equal(string.Concat(Enumerable.Range(1, 200000).Select(i => i + "\n")), r.Stdout);
    }
}
