using System.Text;
using Sandbox.Client.Tests.Infrastructure;

namespace Sandbox.Client.Tests;

/// <summary>The SDK's leap0 dialect (<see cref="SandboxProvider.Leap0"/>) against the real local server's <c>/v1</c>.</summary>
[Collection(ServerCollection.Name)]
public sealed class Leap0Tests(ServerFixture fx)
{
    private const long MiB = 1L << 20;

    private SandboxClient Leap0(string? key = null, string? domain = null) =>
        new(new SandboxConnectionSettings(fx.Server.Endpoint, key ?? fx.Server.ApiKey), new SandboxClientOptions { Provider = SandboxProvider.Leap0, SandboxDomain = domain });

    [Fact]
    public async Task Create_get_run_write_read_and_delete_a_sandbox()
    {
        using var client = Leap0();
        var handle = await client.Sandboxes.CreateAsync(new CreateSandboxRequest
        {
            Vcpus = 1,
            MemBytes = 512 * MiB,
            TtlSeconds = 600,
            AutoPause = true,
            Environment = new Dictionary<string, string> { ["GREETING"] = "hi" },
        });
        var sandbox = handle.Sandbox;
        try
        {
            // Create answered `starting` and the client polled until `running`.
            Assert.Equal(SandboxStatus.Ready, sandbox.Status);
            Assert.Equal(sandbox.Id, sandbox.Name);
            Assert.Equal("system/debian:bookworm", sandbox.TemplateName);
            Assert.Equal(1, sandbox.Vcpus);
            Assert.Equal(512 * MiB, sandbox.MemBytes);
            Assert.Equal(600, sandbox.TtlSeconds);
            Assert.True(sandbox.AutoPause);

            var got = await client.Sandboxes.GetAsync(sandbox.Id);
            Assert.Equal(sandbox.Id, got.Id);
            Assert.Equal(fx.Server.Endpoint, got.Endpoint);

            var run = await client.Commands.RunAsync(sandbox, new CommandRequest("echo \"$GREETING $EXTRA\"; pwd; echo err >&2; exit 3")
            {
                WorkingDirectory = "/tmp",
                Environment = new Dictionary<string, string> { ["EXTRA"] = "there" },
            });
            Assert.Equal("hi there\n/tmp\n", run.Stdout);
            Assert.Equal("err\n", run.Stderr);
            Assert.Equal(3, run.ExitCode);

            var text = "line one\nzwei \u00fc\n";
            using (var upload = new MemoryStream(Encoding.UTF8.GetBytes(text)))
            {
                var written = await client.Files.UploadAsync(sandbox, "/tmp/l0/a.txt", upload);
                Assert.Equal(Encoding.UTF8.GetByteCount(text), written.Written);
            }
            Assert.Equal(text, (await client.Commands.RunAsync(sandbox, new CommandRequest("cat /tmp/l0/a.txt"))).Stdout);
            using (var download = new MemoryStream())
            {
                await client.Files.DownloadAsync(sandbox, "/tmp/l0/a.txt", download);
                Assert.Equal(text, Encoding.UTF8.GetString(download.ToArray()));
            }
            var missing = await Assert.ThrowsAsync<SandboxNotFoundException>(() => client.Files.DownloadAsync(sandbox, "/tmp/l0/none", Stream.Null));
            Assert.Equal(404, missing.StatusCode);
        }
        finally
        {
            await handle.DisposeAsync(); // deletes it
        }
        var gone = await Assert.ThrowsAsync<SandboxNotFoundException>(() => client.Sandboxes.GetAsync(sandbox.Id));
        Assert.Equal(404, gone.StatusCode);
        Assert.Contains(sandbox.Id, gone.Message);
    }

    [Fact]
    public async Task Pauses_through_v1_shows_paused_and_resumes_on_a_request()
    {
        using var client = Leap0();
        await using var handle = await client.Sandboxes.CreateAsync(new CreateSandboxRequest { TemplateName = "base" });
        var id = handle.Sandbox.Id;

        Assert.Equal(SandboxStatus.Paused, (await client.Sandboxes.PauseAsync(id)).Status);
        Assert.Equal(SandboxStatus.Paused, (await client.Sandboxes.GetAsync(id)).Status);
        // leap0 refuses a step from the wrong state with 409; the SDK keeps it a NotReady error, not a name conflict.
        var again = await Assert.ThrowsAsync<SandboxApiException>(() => client.Sandboxes.PauseAsync(id));
        Assert.Equal(409, again.StatusCode);
        Assert.IsNotType<SandboxNameConflictException>(again);

        var resumed = await client.Sandboxes.ResumeAsync(id);
        Assert.Equal(SandboxStatus.Ready, resumed.Status);
        Assert.Equal("ok\n", (await client.Commands.RunAsync(resumed, new CommandRequest("echo ok"))).Stdout);
    }

    [Fact]
    public async Task Stops_keeping_files_and_starts_again_through_v1()
    {
        using var client = Leap0();
        await using var handle = await client.Sandboxes.CreateAsync(new CreateSandboxRequest { TemplateName = "base" });
        var id = handle.Sandbox.Id;
        await client.Commands.RunAsync(handle.Sandbox, new CommandRequest("echo kept > /home/user/kept.txt"));

        Assert.Equal(SandboxStatus.Stopped, (await client.Sandboxes.StopAsync(id)).Status);
        Assert.Equal(SandboxStatus.Stopped, (await client.Sandboxes.GetAsync(id)).Status);
        var started = await client.Sandboxes.StartAsync(id);
        Assert.Contains(started.Status, new[] { SandboxStatus.Provisioning, SandboxStatus.Ready });
        var ready = await client.Sandboxes.WaitForReadyAsync(id);
        Assert.Equal(SandboxStatus.Ready, ready.Status);
        Assert.Equal("kept\n", (await client.Commands.RunAsync(ready, new CommandRequest("cat /home/user/kept.txt"))).Stdout);
        var twice = await Assert.ThrowsAsync<SandboxApiException>(() => client.Sandboxes.StartAsync(id));
        Assert.Equal(409, twice.StatusCode);
    }

    [Fact]
    public async Task Lists_all_by_wildcard_and_by_state_through_v1()
    {
        using var client = Leap0();
        await using var running = await client.Sandboxes.CreateAsync(new CreateSandboxRequest { TemplateName = "base" });
        await using var paused = await client.Sandboxes.CreateAsync(new CreateSandboxRequest { TemplateName = "base" });
        await client.Sandboxes.PauseAsync(paused.Sandbox.Id);

        var all = await client.Sandboxes.FindAsync(null, null);
        Assert.Contains(all, s => s.Id == running.Sandbox.Id && s.Status == SandboxStatus.Ready);
        Assert.Contains(all, s => s.Id == paused.Sandbox.Id && s.Status == SandboxStatus.Paused);
        Assert.All(all, s => Assert.Equal(s.Id, s.Name));

        var prefix = running.Sandbox.Id[..4] + "*";
        Assert.Contains(await client.Sandboxes.FindAsync(prefix, null), s => s.Id == running.Sandbox.Id);
        Assert.All(await client.Sandboxes.FindAsync(prefix, null), s => Assert.StartsWith(running.Sandbox.Id[..4], s.Id));

        var onlyPaused = await client.Sandboxes.FindAsync("*", SandboxStatus.Paused);
        Assert.Contains(onlyPaused, s => s.Id == paused.Sandbox.Id);
        Assert.DoesNotContain(onlyPaused, s => s.Id == running.Sandbox.Id);
        var onlyRunning = await client.Sandboxes.FindAsync("*", "running");
        Assert.Contains(onlyRunning, s => s.Id == running.Sandbox.Id);
        Assert.All(onlyRunning, s => Assert.Equal(SandboxStatus.Ready, s.Status));
    }

    [Fact]
    public async Task Issues_a_presigned_url_that_reaches_the_port_without_the_key()
    {
        using var client = Leap0();
        await using var handle = await client.Sandboxes.CreateAsync(new CreateSandboxRequest { TemplateName = "base" });
        var sandbox = handle.Sandbox;
        var start = await client.Commands.RunAsync(sandbox, new CommandRequest(
            "mkdir -p /tmp/www && echo served > /tmp/www/index.html && cd /tmp/www && " +
            "(setsid python3 -m http.server 8090 --bind 127.0.0.1 < /dev/null > /tmp/http.log 2>&1 &) && " +
            "for i in $(seq 100); do python3 -c 'import socket; socket.create_connection((\"127.0.0.1\", 8090), 1)' 2>/dev/null && exit 0; sleep 0.1; done; exit 1"));
        Assert.Equal(0, start.ExitCode);

        var url = await client.Sandboxes.GetServiceUrlAsync(sandbox.Id, 8090, TimeSpan.FromMinutes(5));
        Assert.False(string.IsNullOrEmpty(url.Token));
        Assert.Equal(url.ServiceUrl, url.BrowserUrl);
        Assert.Contains(url.Token, url.ServiceUrl);
        Assert.InRange(url.ExpiresAt, DateTimeOffset.UtcNow.AddMinutes(4), DateTimeOffset.UtcNow.AddMinutes(6));
        using var http = new HttpClient();
        var body = await http.GetStringAsync(url.ServiceUrl);
        Assert.Equal("served\n", body);

        await client.Sandboxes.StopAsync(sandbox.Id);
        var stopped = await Assert.ThrowsAsync<SandboxApiException>(() => client.Sandboxes.GetServiceUrlAsync(sandbox.Id, 8090));
        Assert.Equal(400, stopped.StatusCode);
    }

    [Fact]
    public async Task Snapshots_are_created_stored_listed_restored_and_deleted_through_v1()
    {
        using var client = Leap0();
        await using var source = await client.Sandboxes.CreateAsync(new CreateSandboxRequest { TemplateName = "base", Vcpus = 2 });
        await client.Commands.RunAsync(source.Sandbox, new CommandRequest("echo snapped > /home/user/s.txt"));
        var name = "l0snap-" + Guid.NewGuid().ToString("N")[..6];

        // leap0 answers 201 once the snapshot is stored: ready without a poll (there is no GET /v1/snapshot/{id}).
        var snapshot = await client.Snapshots.CreateAsync(source.Sandbox.Id, name);
        Assert.Equal((name, SandboxSnapshotStatus.Ready), (snapshot.Name, snapshot.Status));
        Assert.False(string.IsNullOrEmpty(snapshot.Id));
        Assert.Equal("2", snapshot.Labels["vcpu"]);

        Assert.Equal(snapshot.Id, Assert.Single(await client.Snapshots.FindAsync(name)).Id);
        Assert.Contains(await client.Snapshots.FindAsync("l0snap-*"), s => s.Id == snapshot.Id);
        Assert.Contains(await client.Snapshots.FindAsync(null), s => s.Id == snapshot.Id);

        await using (var restored = await client.Sandboxes.CreateAsync(new CreateSandboxRequest { SnapshotReference = name }))
        {
            Assert.NotEqual(source.Sandbox.Id, restored.Sandbox.Id);
            Assert.Equal(2, restored.Sandbox.Vcpus);
            Assert.Equal("snapped\n", (await client.Commands.RunAsync(restored.Sandbox, new CommandRequest("cat /home/user/s.txt"))).Stdout);
        }

        var taken = await Assert.ThrowsAsync<SandboxNameConflictException>(() => client.Snapshots.CreateAsync(source.Sandbox.Id, name));
        Assert.Equal(409, taken.StatusCode);
        await client.Snapshots.DeleteAsync(snapshot.Id);
        await Assert.ThrowsAsync<SandboxNotFoundException>(() => client.Snapshots.FindAsync(name));
        await Assert.ThrowsAsync<SandboxNotFoundException>(() => client.Snapshots.DeleteAsync(snapshot.Id));
        await Assert.ThrowsAsync<SandboxNotFoundException>(() => client.Sandboxes.CreateAsync(new CreateSandboxRequest { SnapshotReference = name }));
    }

    [Fact]
    public async Task Templates_are_created_from_a_built_in_listed_renamed_and_deleted_through_v1()
    {
        using var client = Leap0();
        var name = "l0tpl-" + Guid.NewGuid().ToString("N")[..6];
        var created = await client.Templates.CreateAsync(new CreateTemplateRequest { Name = name, Image = "system/debian:bookworm" });
        Assert.Equal(name, created.Name);
        Assert.False(string.IsNullOrEmpty(created.Id));

        var all = await client.Templates.FindAsync();
        Assert.Contains(all, t => t.Name == "system/debian:bookworm");
        Assert.Contains(all, t => t.Id == created.Id);
        Assert.Equal(created.Id, Assert.Single(await client.Templates.FindAsync(name)).Id);

        await using (var sandbox = await client.Sandboxes.CreateAsync(new CreateSandboxRequest { TemplateName = name }))
            Assert.Equal(name, sandbox.Sandbox.TemplateName);

        var renamed = await client.Templates.RenameAsync(name, name + "-b");
        Assert.Equal((created.Id, name + "-b"), (renamed.Id, renamed.Name));
        var system = await Assert.ThrowsAsync<SandboxNameConflictException>(() => client.Templates.RenameAsync(all.First(t => t.Name == "system/debian:bookworm").Id, "x"));
        Assert.Equal(409, system.StatusCode);
        var registry = await Assert.ThrowsAsync<SandboxValidationException>(() => client.Templates.CreateAsync(new CreateTemplateRequest { Name = name + "-r", Image = "docker.io/library/alpine:3" }));
        Assert.Contains(registry.ValidationIssues, i => i.Field == "uri");

        await client.Templates.DeleteAsync(renamed.Id);
        await Assert.ThrowsAsync<SandboxNotFoundException>(() => client.Templates.FindAsync(name + "-b"));
        await Assert.ThrowsAsync<SandboxNotFoundException>(() => client.Templates.DeleteAsync(renamed.Id));
    }

    [Fact]
    public async Task Leap0_error_bodies_map_to_the_SDK_exceptions()
    {
        using var client = Leap0();
        var bad = await Assert.ThrowsAsync<SandboxValidationException>(() => client.Sandboxes.CreateAsync(new CreateSandboxRequest { Vcpus = 9 }));
        Assert.Equal(400, bad.StatusCode);
        Assert.Contains(bad.ValidationIssues, i => i.Field == "vcpu");
        var template = await Assert.ThrowsAsync<SandboxValidationException>(() => client.Sandboxes.CreateAsync(new CreateSandboxRequest { TemplateName = "no-such-template-" + Guid.NewGuid().ToString("N")[..6] }));
        Assert.Contains(template.ValidationIssues, i => i.Field == "template_name");

        await Assert.ThrowsAsync<SandboxNotFoundException>(() => client.Sandboxes.DeleteAsync("no-such-sandbox"));

        using var wrongKey = Leap0(key: "not-the-key");
        var denied = await Assert.ThrowsAsync<SandboxAuthenticationException>(() => wrongKey.Sandboxes.GetAsync("x"));
        Assert.Equal(401, denied.StatusCode);
    }

    [Fact]
    public async Task What_leap0_lacks_is_not_supported_by_this_endpoint_naming_leap0()
    {
        using var client = Leap0();
        async Task NotSupported(Func<Task> call)
        {
            var e = await Assert.ThrowsAsync<SandboxNotSupportedException>(call);
            Assert.Contains("not supported by this endpoint (leap0)", e.Message);
        }
        await NotSupported(() => client.Pools.CreateAsync(new CreatePoolRequest { Name = "p", TemplateName = "base", Replicas = 1 }));
        await NotSupported(() => client.Volumes.CreateAsync("v", "1Gi"));
        await NotSupported(() => client.Volumes.ListAsync());
        await NotSupported(() => client.Sandboxes.RenameAsync("a", "b"));
        await NotSupported(() => client.Registries.ListAsync());
        await NotSupported(() => client.Sandboxes.GetDownloadLinkAsync("a", "/etc/hostname"));
        await NotSupported(() => client.Sandboxes.CreateAsync(new CreateSandboxRequest { Name = "named" }));
    }

    [Fact]
    public void Invoke_urls_follow_leap0_with_a_domain_and_the_endpoint_without_one()
    {
        using (var client = Leap0(domain: "sandbox.localhost:8443/"))
        {
            Assert.Equal("https://abc-8080.sandbox.localhost:8443/", client.Sandboxes.GetInvokeUrl("abc", 8080).ToString());
            Assert.Equal("wss://abc.sandbox.localhost:8443/", client.Sandboxes.GetInvokeUrl("abc", null, webSocket: true).ToString());
            Assert.Equal("https://abc-80.sandbox.localhost:8443/api/x?y=1", client.Sandboxes.GetInvokeUrl("abc", 80, path: "api/x?y=1").ToString());
        }
        using (var client = Leap0())
        {
            var endpoint = new Uri(fx.Server.Endpoint);
            Assert.Equal($"http://abc-3000.{endpoint.Authority}/", client.Sandboxes.GetInvokeUrl("abc", 3000).ToString());
            Assert.Equal($"ws://abc-3000.{endpoint.Authority}/", client.Sandboxes.GetInvokeUrl("abc", 3000, webSocket: true).ToString());
        }
        var langSmith = Assert.Throws<SandboxNotSupportedException>(() => fx.Client.Sandboxes.GetInvokeUrl("abc", 3000));
        Assert.Contains("not supported by this endpoint (LangSmith)", langSmith.Message);
    }
}

/// <summary>
/// What the leap0 dialect sends and reads, checked against leap0's published shapes (shared/reference/leap0-api.md): the
/// leap0 service's forms the local server does not produce (pages past the first, the presigned host URL, bodies without an error code).
/// </summary>
public sealed class Leap0DialectTests
{
    private static readonly Protocol.Leap0Dialect Dialect = new("http://127.0.0.1:9/", null);

    private static string Body(Protocol.WireRequest wire) => System.Text.Json.JsonSerializer.Serialize(wire.Body, wire.Body!.GetType(), Dialect.Json);

    [Fact]
    public void Lists_by_page_with_state_sort_and_order_and_reads_items()
    {
        var wire = Dialect.List(Protocol.SandboxResourceKind.Sandbox, new SandboxListQuery { Limit = 50, Offset = 100, Status = SandboxStatus.Ready, SortBy = SandboxSortBy.Status, Ascending = false });
        Assert.Equal(HttpMethod.Get, wire.Method);
        Assert.Equal("http://127.0.0.1:9/v1/sandboxes?page=3&page-size=50&state=running&sort=state&order-by=desc", wire.Url);
        Assert.True(wire.Retryable);

        using var doc = System.Text.Json.JsonDocument.Parse("""
            {"items": [{"id": "a1", "template_id": "system/debian:bookworm", "pod_id": "p", "state": "paused", "created_at": "2026-12-01T10:00:00Z", "timeout_at": "2026-12-01T10:05:00Z"},
                       {"id": "b2", "template_id": "t", "pod_id": "q", "state": "starting", "created_at": "2026-12-01T10:01:00Z"}], "total_items": 2}
            """);
        var page = Dialect.ReadPage<Sandbox>(Protocol.SandboxResourceKind.Sandbox, doc.RootElement, new SandboxPageQuery { Offset = 100 });
        Assert.Equal(["a1", "b2"], page.Items.Select(s => s.Name));
        Assert.Equal([SandboxStatus.Paused, SandboxStatus.Provisioning], page.Items.Select(s => s.Status));
        Assert.Equal(DateTimeOffset.Parse("2026-12-01T10:05:00Z"), page.Items[0].ExpiresAt);
        Assert.Equal(102, page.NextOffset);
    }

    [Fact]
    public void Pauses_stops_and_starts_by_id_and_resumes_with_a_waking_request()
    {
        Assert.Equal("http://127.0.0.1:9/v1/sandbox/a%2Fb/pause", Dialect.Act("a/b", Protocol.SandboxAction.Pause).Url);
        Assert.Equal("http://127.0.0.1:9/v1/sandbox/x/stop", Dialect.Act("x", Protocol.SandboxAction.Stop).Url);
        Assert.Equal("http://127.0.0.1:9/v1/sandbox/x/start", Dialect.Act("x", Protocol.SandboxAction.Start).Url);
        Assert.Equal(HttpMethod.Post, Dialect.Act("x", Protocol.SandboxAction.Pause).Method);
        var wake = Dialect.Wake("x")!.Value;
        Assert.Equal((HttpMethod.Get, "http://127.0.0.1:9/v1/sandbox/x/system/workdir"), (wake.Method, wake.Url));
    }

    [Fact]
    public void Creates_in_the_seed_fields_and_restores_from_a_snapshot()
    {
        var create = Dialect.CreateSandbox(new CreateSandboxRequest { TemplateName = "system/debian:bookworm", Vcpus = 2, MemBytes = 1000L << 20, TtlSeconds = 61, AutoPause = true });
        Assert.Equal("http://127.0.0.1:9/v1/sandbox", create.Url);
        Assert.Equal("""{"template_name":"system/debian:bookworm","vcpu":2,"memory_mib":1000,"timeout_min":2,"auto_pause":true}""", Body(create));

        var restore = Dialect.CreateSandbox(new CreateSandboxRequest { SnapshotReference = "snap-1", TtlSeconds = 300, NetworkPolicy = SandboxNetworkPolicy.Create("deny-all") });
        Assert.Equal("http://127.0.0.1:9/v1/snapshot/restore", restore.Url);
        Assert.Equal("""{"snapshot_name":"snap-1","timeout":300,"network_policy":{"mode":"deny-all"}}""", Body(restore));
        var e = Assert.Throws<SandboxNotSupportedException>(() => Dialect.CreateSandbox(new CreateSandboxRequest { SnapshotReference = "s", Vcpus = 2 }));
        Assert.Contains("not supported by this endpoint (leap0)", e.Message);
    }

    [Fact]
    public void Issues_a_presigned_url_and_reads_it_as_a_service_url()
    {
        var wire = Dialect.IssueServiceUrl("x", 8080, 600);
        Assert.Equal("http://127.0.0.1:9/v1/sandbox/x/presigned-url", wire.Url);
        Assert.False(wire.Retryable);
        Assert.Equal("""{"port":8080,"expires_in":600}""", Body(wire));
        var url = System.Text.Json.JsonSerializer.Deserialize<SandboxServiceUrl>("""
            {"id": "p1", "token": "tok", "url": "https://tok.presigned.leap0.dev", "sandbox_id": "x", "port": 8080, "expires_at": "2026-12-01T11:00:00Z", "created_at": "2026-12-01T10:50:00Z"}
            """, Dialect.Json)!;
        Assert.Equal(("https://tok.presigned.leap0.dev", "https://tok.presigned.leap0.dev", "tok"), (url.ServiceUrl, url.BrowserUrl, url.Token));
        Assert.Equal(DateTimeOffset.Parse("2026-12-01T11:00:00Z"), url.ExpiresAt);
    }

    [Fact]
    public void Leap0_error_bodies_classify_by_status_and_fields()
    {
        var notReady = SandboxErrorClassifier.FromResponse(409, """{"message": "sandbox x is stopped", "error": "NotReady"}""");
        Assert.IsNotType<SandboxNameConflictException>(notReady);
        Assert.Equal(("NotReady", 409), (notReady.ErrorType, notReady.StatusCode));
        Assert.IsNotType<SandboxNameConflictException>(SandboxErrorClassifier.FromResponse(409, """{"message": "sandbox x is paused", "error": "InvalidState"}"""));
        // leap0's own service sends no error code: 409 is a conflict, 404 not found, 400 with errors[] a validation error.
        Assert.IsType<SandboxNameConflictException>(SandboxErrorClassifier.FromResponse(409, """{"message": "conflict"}"""));
        Assert.IsType<SandboxNotFoundException>(SandboxErrorClassifier.FromResponse(404, """{"message": "Sandbox not found"}"""));
        var bad = Assert.IsType<SandboxValidationException>(SandboxErrorClassifier.FromResponse(400, """{"message": "Invalid request", "errors": [{"field": "memory_mib", "error": "must be even"}]}"""));
        Assert.Equal("memory_mib", Assert.Single(bad.ValidationIssues).Field);
        Assert.Equal("must be even", bad.ValidationIssues[0].Message);
        Assert.StartsWith("Invalid request", bad.Message);
    }
}
