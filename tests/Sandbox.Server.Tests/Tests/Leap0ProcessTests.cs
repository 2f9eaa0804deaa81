using System.Text.Json.Nodes;
using Sandbox.Server.Tests.Infrastructure;

namespace Sandbox.Server.Tests.Tests;

/// <summary>leap0's <c>/process/execute</c> and <c>/system/*</c> on the real server.</summary>
[Collection(ServerCollection.Name)]
public sealed class Leap0ProcessTests(ServerFixture fixture)
{
    private ServerProcess S => fixture.Server;

    [Fact]
    public async Task Execute_runs_with_bin_sh_in_the_workdir_with_envs_and_answers_exit_code_stdout_stderr()
    {
        using var http = Leap0Api.Client(S);
        await using var box = await Box.CreateAsync(S, tag: "l0exec");
        var url = $"v1/sandbox/{box.Id}/process/execute";
        var r = (await http.L0PostAsync(url, new { command = "echo out; echo err >&2; readlink /proc/$$/exe; pwd; echo \"$NAME $HOME\"; exit 3", envs = new { NAME = "leap0" } })).Expect(200).Json;
        Assert.Equal(3, r.GetProperty("exit_code").GetInt32());
        // /bin/sh is dash in the base image: the command runs with /bin/sh -c, not bash.
        Assert.Equal("out\n/usr/bin/dash\n/home/user\nleap0 /home/user\n", r.Str("stdout"));
        Assert.Equal("err\n", r.Str("stderr"));
        Assert.Equal(["exit_code", "stdout", "stderr"], r.EnumerateObject().Select(p => p.Name).ToArray());

        var inTmp = (await http.L0PostAsync(url + "/", new { command = "pwd", cwd = "/tmp" })).Expect(200).Json;
        Assert.Equal("/tmp\n", inTmp.Str("stdout"));
        Assert.Equal(0, inTmp.GetProperty("exit_code").GetInt32());
        // A cwd that is not there: leap0's 400 body saying so.
        Assert.Contains("/no/such/dir", (await http.L0PostAsync(url, new { command = "pwd", cwd = "/no/such/dir" })).ExpectLeap0Error(400).Json.Str("message"));
    }

    [Fact]
    public async Task Execute_kills_a_command_past_its_timeout_and_says_so()
    {
        using var http = Leap0Api.Client(S);
        await using var box = await Box.CreateAsync(S, tag: "l0tmo");
        var started = DateTime.UtcNow;
        var r = (await http.L0PostAsync($"v1/sandbox/{box.Id}/process/execute", new { command = "sleep 30", timeout = 1 })).ExpectLeap0Error(408);
        Assert.Equal("CommandTimeout", r.Json.Str("error"));
        Assert.True(DateTime.UtcNow - started < TimeSpan.FromSeconds(20));
        // Killed: nothing of it runs any more.
        var ps = (await http.L0PostAsync($"v1/sandbox/{box.Id}/process/execute", new { command = "ps -eo args | grep -c '^sleep 30' || true" })).Expect(200).Json;
        Assert.Equal("0\n", ps.Str("stdout"));
    }

    [Fact]
    public async Task Execute_wakes_a_paused_and_a_stopped_sandbox()
    {
        using var http = Leap0Api.Client(S);
        await using var box = await Box.CreateAsync(S, tag: "l0wake");
        var url = $"v1/sandbox/{box.Id}/process/execute";
        (await S.PostAsync(box.Path + "/pause", new { })).Expect(200);
        Assert.Equal("awake\n", (await http.L0PostAsync(url, new { command = "echo awake" })).Expect(200).Json.Str("stdout"));
        (await S.PostAsync(box.Path + "/stop", new { })).Expect(200);
        Assert.Equal("started\n", (await http.L0PostAsync(url, new { command = "echo started" })).Expect(200).Json.Str("stdout"));
    }

    [Fact]
    public async Task Execute_refuses_bad_input_naming_the_field()
    {
        using var http = Leap0Api.Client(S);
        await using var box = await Box.CreateAsync(S, tag: "l0bad");
        var url = $"v1/sandbox/{box.Id}/process/execute";
        (await http.L0PostAsync(url, new { })).ExpectLeap0Field("command");
        (await http.L0PostAsync(url, new { command = 5 })).ExpectLeap0Field("command");
        (await http.L0PostAsync(url, new { command = "" })).ExpectLeap0Field("command");
        (await http.L0PostAsync(url, new { command = "a\0b" })).ExpectLeap0Field("command");
        (await http.L0PostAsync(url, new { command = "true", timeout = 0 })).ExpectLeap0Field("timeout");
        (await http.L0PostAsync(url, new { command = "true", timeout = 1.5 })).ExpectLeap0Field("timeout");
        (await http.L0PostAsync(url, new { command = "true", timeout = "30" })).ExpectLeap0Field("timeout");
        (await http.L0PostAsync(url, new { command = "true", envs = new[] { "A=1" } })).ExpectLeap0Field("envs");
        (await http.L0PostAsync(url, new { command = "true", envs = new { A = 1 } })).ExpectLeap0Field("envs");
        (await http.L0PostAsync(url, new { command = "true", envs = new Dictionary<string, string> { ["1A"] = "x" } })).ExpectLeap0Field("envs");
        (await http.L0PostAsync(url, new { command = "true", cwd = 7 })).ExpectLeap0Field("cwd");
        (await http.L0PostAsync(url, new { command = "true", cwd = "" })).ExpectLeap0Field("cwd");
        (await Api.SendAsync(http, HttpMethod.Post, url, new StringContent("[1]", System.Text.Encoding.UTF8, "application/json"))).ExpectLeap0Error(400);
        (await Api.SendAsync(http, HttpMethod.Post, url, new StringContent("{", System.Text.Encoding.UTF8, "application/json"))).ExpectLeap0Error(400);
        (await http.L0PostAsync("v1/sandbox/no-such-id/process/execute", new { command = "true" })).ExpectLeap0Error(404);
    }

    [Fact]
    public async Task System_answers_the_home_and_workdir_commands_get()
    {
        using var http = Leap0Api.Client(S);
        await using (var box = await Box.CreateAsync(S, tag: "l0sys"))
        {
            Assert.Equal("/home/user", (await http.L0GetAsync($"v1/sandbox/{box.Id}/system/user-home-dir")).Expect(200).Json.Str("user_home_dir"));
            Assert.Equal("/home/user", (await http.L0GetAsync($"v1/sandbox/{box.Id}/system/workdir")).Expect(200).Json.Str("workdir"));
        }
        // The sandbox's run_config: its user's home from the sandbox's own /etc/passwd, its work_dir.
        var runConfig = new JsonObject { ["run_config"] = new JsonObject { ["user"] = "nobody", ["work_dir"] = "/tmp" } };
        await using (var box = await Box.CreateAsync(S, tag: "l0sysrc", extra: runConfig))
        {
            Assert.Equal("/nonexistent", (await http.L0GetAsync($"v1/sandbox/{box.Id}/system/user-home-dir")).Expect(200).Json.Str("user_home_dir"));
            Assert.Equal("/tmp", (await http.L0GetAsync($"v1/sandbox/{box.Id}/system/workdir")).Expect(200).Json.Str("workdir"));
            var pwd = (await http.L0PostAsync($"v1/sandbox/{box.Id}/process/execute", new { command = "pwd; id -u" })).Expect(200).Json;
            Assert.Equal("/tmp\n65534\n", pwd.Str("stdout"));
        }
        (await http.L0GetAsync("v1/sandbox/no-such-id/system/workdir")).ExpectLeap0Error(404);
        (await http.L0GetAsync("v1/sandbox/no-such-id/system/user-home-dir")).ExpectLeap0Error(404);
    }
}
