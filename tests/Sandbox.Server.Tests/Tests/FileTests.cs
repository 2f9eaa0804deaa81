using System.Security.Cryptography;
using System.Text;
using Sandbox.Server.Tests.Infrastructure;
using Xunit.Abstractions;

namespace Sandbox.Server.Tests.Tests;

[Collection(ServerCollection.Name)]
public sealed class FileTests(ServerFixture fixture, ITestOutputHelper output)
{
    private ServerProcess S => fixture.Server;

    [Fact]
    public async Task Upload_and_download_round_trip_random_bytes()
    {
        await using var box = await Box.CreateAsync(S, tag: "files");
        var data = RandomNumberGenerator.GetBytes(5 * 1024 * 1024 + 123);
        var sha = Convert.ToHexStringLower(SHA256.HashData(data));
        var up = (await box.UploadAsync("/home/user/random.bin", data)).Expect(200).Json;
        Assert.Equal("/home/user/random.bin", up.Str("path"));
        Assert.Equal(data.Length, up.GetProperty("written").GetInt64());
        Assert.Equal(sha, (await box.RunAsync("sha256sum /home/user/random.bin")).Split(' ')[0]);

        var (status, bytes, type) = await box.DownloadAsync("/home/user/random.bin");
        Assert.Equal(200, status);
        Assert.Equal("application/octet-stream", type);
        Assert.Equal(data.Length, bytes.Length);
        Assert.Equal(sha, Convert.ToHexStringLower(SHA256.HashData(bytes)));

        // A file made inside comes out byte for byte.
        await box.RunAsync("head -c 3000000 /dev/urandom > /tmp/made.bin");
        var inside = (await box.RunAsync("sha256sum /tmp/made.bin")).Split(' ')[0];
        var made = await box.DownloadAsync("/tmp/made.bin");
        Assert.Equal(200, made.Status);
        Assert.Equal(inside, Convert.ToHexStringLower(SHA256.HashData(made.Bytes)));

        // Overwrite replaces, not appends.
        (await box.UploadAsync("/home/user/random.bin", "short"u8.ToArray())).Expect(200);
        Assert.Equal("short", Encoding.UTF8.GetString((await box.DownloadAsync("/home/user/random.bin")).Bytes));
        Assert.Equal("5", (await box.RunAsync("stat -c %s /home/user/random.bin")).Trim());
    }

    [Fact]
    public async Task Relative_paths_land_in_home_user()
    {
        await using var box = await Box.CreateAsync(S, tag: "rel");
        var up = (await box.UploadAsync("notes.txt", "relative upload"u8.ToArray())).Expect(200).Json;
        Assert.Equal("/home/user/notes.txt", up.Str("path"));
        Assert.Equal("relative upload", await box.RunAsync("cat /home/user/notes.txt"));
        await box.RunAsync("mkdir -p /home/user/d && echo made-inside > /home/user/d/in.txt");
        var (status, bytes, _) = await box.DownloadAsync("d/in.txt");
        Assert.Equal(200, status);
        Assert.Equal("made-inside\n", Encoding.UTF8.GetString(bytes));
    }

    [Fact]
    public async Task Download_of_a_missing_file_is_404()
    {
        await using var box = await Box.CreateAsync(S, tag: "dl404");
        var (status, bytes, _) = await box.DownloadAsync("/home/user/no-such-file");
        Assert.Equal(404, status);
        Assert.Contains("NotFound", Encoding.UTF8.GetString(bytes));
        Assert.Equal(404, (await box.DownloadAsync("no/such/dir/file")).Status);
    }

    [Fact]
    public async Task Download_of_a_directory_is_400()
    {
        await using var box = await Box.CreateAsync(S, tag: "dldir");
        var (status, bytes, _) = await box.DownloadAsync("/home/user");
        Assert.Equal(400, status);
        Assert.Contains("IsADirectory", Encoding.UTF8.GetString(bytes));
        Assert.Equal(400, (await box.DownloadAsync("/")).Status);
    }

    [Fact]
    public async Task Upload_onto_a_directory_is_refused()
    {
        await using var box = await Box.CreateAsync(S, tag: "updir");
        var r = await box.UploadAsync("/home/user", "x"u8.ToArray());
        Assert.True(r.Code is 400 or 409, $"upload onto a directory: {r}");
        Assert.Equal("d", (await box.RunAsync("[ -d /home/user ] && echo d")).Trim());
    }

    [Fact]
    public async Task Upload_and_download_need_a_path()
    {
        await using var box = await Box.CreateAsync(S, tag: "nopath");
        var form = new MultipartFormDataContent { { new ByteArrayContent("x"u8.ToArray()), "file", "x" } };
        (await Api.SendAsync(S.Http, HttpMethod.Post, box.DataplaneUrl + "/upload", form)).ExpectValidation("path");
        (await Api.SendAsync(S.Http, HttpMethod.Get, box.DataplaneUrl + "/download")).ExpectValidation("path");
    }

    /// <summary>Host marker files that the sandbox cannot see through its own filesystem (they live in the hidden data dir).</summary>
    private sealed class HostMarkers : IDisposable
    {
        public HostMarkers(ServerProcess s)
        {
            Dir = Path.Combine(s.DataDir, "escape-" + Guid.NewGuid().ToString("N")[..8]);
            Directory.CreateDirectory(Dir);
            Secret = "host-secret-" + Guid.NewGuid().ToString("N");
            File.WriteAllText(SecretFile, Secret);
            EtcFile = "/etc/sbt-escape-" + Guid.NewGuid().ToString("N")[..8];
            File.WriteAllText(EtcFile, "host-original");
        }

        public string Dir { get; }
        public string SecretFile => Path.Combine(Dir, "secret.txt");
        public string Secret { get; }
        /// <summary>A host file that IS visible inside (the host is the lower layer): writes must go to the sandbox's copy.</summary>
        public string EtcFile { get; }

        public void AssertHostUntouched(ServerProcess s, string apiKeyBefore)
        {
            Assert.Equal(Secret, File.ReadAllText(SecretFile));
            Assert.Equal("host-original", File.ReadAllText(EtcFile));
            Assert.Equal(new[] { SecretFile }, Directory.GetFiles(Dir));
            Assert.Equal(apiKeyBefore, File.ReadAllText(Path.Combine(s.DataDir, "api-key")).Trim());
            Assert.False(File.Exists(Path.Combine(s.DataDir, "injected")), "an upload wrote into the host's data dir");
            Assert.False(File.Exists("/sbt-injected"), "an upload wrote into the host's /");
        }

        public void Dispose()
        {
            try { Directory.Delete(Dir, true); } catch (IOException) { }
            File.Delete(EtcFile);
            if (File.Exists("/sbt-injected")) File.Delete("/sbt-injected");
        }
    }

    /// <summary>An upload through an escaping path is refused, or lands inside the sandbox where the sandbox's own view of that path finds it.</summary>
    private static async Task AssertContainedAsync(Box box, string path, Resp r)
    {
        Assert.True(r.Code is 200 or 400 or 403 or 404, $"upload {path}: {r}");
        if (r.Code != 200) return;
        var inside = path.StartsWith('/') ? path : "/home/user/" + path;
        var seen = await box.ExecAsync($"cat '{inside}'");
        Assert.True(seen.Stdout == "evil", $"upload {path} answered 200 but the sandbox does not see the file at {inside}: {seen}");
    }

    private static void AssertNotLeaked(int status, byte[] bytes, params string[] secrets)
    {
        var text = Encoding.UTF8.GetString(bytes);
        foreach (var secret in secrets) Assert.DoesNotContain(secret, text);
        Assert.True(status is 200 or 400 or 403 or 404, $"unexpected status {status}: {text}");
    }

    [Fact]
    public async Task Dotdot_paths_never_reach_host_files()
    {
        using var m = new HostMarkers(S);
        var key = S.ApiKey;
        await using var box = await Box.CreateAsync(S, tag: "dotdot");
        // Precondition: the sandbox itself cannot see the hidden marker, so reading it would be an escape.
        Assert.Equal("hidden", (await box.RunAsync($"[ -e {m.SecretFile} ] && echo visible || echo hidden")).Trim());

        var up = "../../../../../..";
        foreach (var path in new[] { $"{up}{m.SecretFile}", $"{up}{S.DataDir}/api-key", m.SecretFile, $"{S.DataDir}/api-key", $"/home/user/{up}{m.SecretFile}" })
        {
            var (status, bytes, _) = await box.DownloadAsync(path);
            output.WriteLine($"download {path}: {status} {Encoding.UTF8.GetString(bytes.AsSpan(0, Math.Min(bytes.Length, 200)))}");
            AssertNotLeaked(status, bytes, m.Secret, key);
        }

        foreach (var path in new[] { $"{up}{m.SecretFile}", $"{up}{m.Dir}/new.txt", $"{up}{S.DataDir}/api-key", $"{up}{S.DataDir}/injected", $"{up}/sbt-injected" })
        {
            var r = await box.UploadAsync(path, "evil"u8.ToArray());
            output.WriteLine($"upload {path}: {r}");
            await AssertContainedAsync(box, path, r);
        }
        m.AssertHostUntouched(S, key);

        // Paths into the host's lower layer resolve to the sandbox's own copy.
        await box.RunAsync("echo sandbox-passwd-marker >> /etc/passwd");
        var passwd = await box.DownloadAsync($"{up}/etc/passwd");
        if (passwd.Status == 200) Assert.Contains("sandbox-passwd-marker", Encoding.UTF8.GetString(passwd.Bytes));
        else Assert.True(passwd.Status is 400 or 403 or 404, $"download ../etc/passwd: {passwd.Status}");
        Assert.DoesNotContain("sandbox-passwd-marker", File.ReadAllText("/etc/passwd"));

        var etc = await box.UploadAsync($"{up}{m.EtcFile}", "sandbox-copy"u8.ToArray());
        if (etc.Code == 200) Assert.Equal("sandbox-copy", await box.RunAsync($"cat {m.EtcFile}"));
        else Assert.True(etc.Code is 400 or 403 or 404, $"upload ../etc: {etc}");
        m.AssertHostUntouched(S, key);
    }

    [Fact]
    public async Task Absolute_symlink_to_root_never_reaches_host_files()
    {
        using var m = new HostMarkers(S);
        var key = S.ApiKey;
        await using var box = await Box.CreateAsync(S, tag: "symroot");
        await box.RunAsync($"ln -s / /home/user/hostroot && ln -s {m.SecretFile} /home/user/secret-link && ln -s {m.Dir} /home/user/dir-link");

        foreach (var path in new[] { $"hostroot{m.SecretFile}", $"hostroot{S.DataDir}/api-key", "secret-link", "dir-link/secret.txt", "/home/user/secret-link" })
        {
            var (status, bytes, _) = await box.DownloadAsync(path);
            output.WriteLine($"download {path}: {status} {Encoding.UTF8.GetString(bytes.AsSpan(0, Math.Min(bytes.Length, 200)))}");
            AssertNotLeaked(status, bytes, m.Secret, key);
        }
        foreach (var path in new[] { $"hostroot{m.SecretFile}", "secret-link", "dir-link/new.txt", $"hostroot{S.DataDir}/injected", "hostroot/sbt-injected" })
        {
            var r = await box.UploadAsync(path, "evil"u8.ToArray());
            output.WriteLine($"upload {path}: {r}");
            await AssertContainedAsync(box, path, r);
        }
        m.AssertHostUntouched(S, key);

        var etc = await box.UploadAsync($"hostroot{m.EtcFile}", "sandbox-copy"u8.ToArray());
        if (etc.Code == 200) Assert.Equal("sandbox-copy", await box.RunAsync($"cat {m.EtcFile}"));
        else Assert.True(etc.Code is 400 or 403 or 404, $"upload through the symlink into /etc: {etc}");
        var read = await box.DownloadAsync($"hostroot{m.EtcFile}");
        if (read.Status == 200 && etc.Code == 200) Assert.Equal("sandbox-copy", Encoding.UTF8.GetString(read.Bytes));
        m.AssertHostUntouched(S, key);
    }

    [Fact]
    public async Task Symlink_to_the_data_dir_never_reaches_it()
    {
        using var m = new HostMarkers(S);
        var key = S.ApiKey;
        await using var box = await Box.CreateAsync(S, tag: "symdata");
        var before = Directory.GetFileSystemEntries(S.DataDir).Order().ToList();
        await box.RunAsync($"ln -s {S.DataDir} /home/user/dd && ln -s ../../..{S.DataDir} /home/user/dd-rel");
        foreach (var path in new[] { "dd/api-key", "dd-rel/api-key", $"dd/{Path.GetFileName(m.Dir)}/secret.txt", $"dd-rel/{Path.GetFileName(m.Dir)}/secret.txt" })
        {
            var (status, bytes, _) = await box.DownloadAsync(path);
            output.WriteLine($"download {path}: {status} {Encoding.UTF8.GetString(bytes.AsSpan(0, Math.Min(bytes.Length, 200)))}");
            AssertNotLeaked(status, bytes, m.Secret, key);
        }
        foreach (var path in new[] { "dd/injected", "dd-rel/injected", "dd/api-key", $"dd/{Path.GetFileName(m.Dir)}/secret.txt" })
        {
            var r = await box.UploadAsync(path, "evil"u8.ToArray());
            output.WriteLine($"upload {path}: {r}");
            await AssertContainedAsync(box, path, r);
        }
        m.AssertHostUntouched(S, key);
        Assert.Equal(before, Directory.GetFileSystemEntries(S.DataDir).Order().ToList());
        (await Api.SendAsync(S.Anonymous, HttpMethod.Get, "healthz")).Expect(200);
        (await S.GetAsync(Api.Boxes)).Expect(200); // the key still works
    }
}
