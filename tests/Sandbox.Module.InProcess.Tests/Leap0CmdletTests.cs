using System.Management.Automation;
using System.Net;
using System.Net.Security;
using System.Net.Sockets;
using System.Security.Authentication;
using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;

namespace Sandbox.Module.InProcess.Tests;

/// <summary>
/// The cmdlets hosted in-process on a leap0 connection (<c>Connect-Sandbox -Server $server -Provider Leap0</c>) to the
/// real local server's <c>/v1</c>, with its data plane for the URLs. What works on leap0 here follows
/// tests/pester/Leap0.Tests.ps1.
/// </summary>
public sealed class Leap0CmdletTests(Leap0ModuleHost host) : IClassFixture<Leap0ModuleHost>, IDisposable
{
    /// <summary>The sandboxes this test made, removed when it ends (the fixture removes any left at the very end).</summary>
    private readonly List<string> _made = [];

    /// <summary>A local folder for this test's files, removed when it ends.</summary>
    private readonly string _files = Path.Combine(Path.GetTempPath(), $"sandbox-inproc-files-{Guid.NewGuid():N}"[..30]);

    private static string NewName(string prefix) => $"{prefix}-{Guid.NewGuid():N}"[..(prefix.Length + 9)];

    private static object? P(PSObject o, string name) => o.Properties[name]?.Value;

    private string NewSandbox(string arguments = "")
    {
        var box = Assert.Single(host.Run("New-Sandbox " + arguments));
        Assert.Equal("ready", P(box, "Status"));
        var id = (string)P(box, "Id")!;
        _made.Add(id);
        return id;
    }

    /// <summary>Runs <paramref name="command"/> in the sandbox (passed as an argument, so shell quoting stays the shell's).</summary>
    private PSObject Invoke(string id, string command, Action<PowerShell>? more = null)
    {
        using var ps = host.NewShell();
        ps.AddCommand("Invoke-SandboxCommand").AddArgument(command).AddParameter("Sandbox", id);
        more?.Invoke(ps);
        var result = ps.Invoke();
        Assert.False(ps.HadErrors, command + "\n" + string.Join("\n", ps.Streams.Error));
        return Assert.Single(result);
    }

    private string Stdout(string id, string command) => (string)P(Invoke(id, command), "Stdout")!;

    /// <summary>The error <paramref name="script"/> stops with (run with -ErrorAction Stop, caught, and handed back).</summary>
    private ErrorRecord ErrorOf(string script)
    {
        using var ps = host.NewShell(); // not Run: a caught error still sets HadErrors
        var caught = ps.AddScript($"try {{ {script} -ErrorAction Stop; 'no error' }} catch {{ $_ }}").Invoke();
        return Assert.IsType<ErrorRecord>(Assert.Single(caught).BaseObject);
    }

    private IEnumerable<string> Ids(string script) => host.Run(script).Select(o => (string)P(o, "Id")!);

    [Fact]
    public void New_Sandbox_sizes_and_Get_Sandbox_finds_it_by_id_wildcard_and_state_until_Remove_Sandbox()
    {
        var id = NewSandbox("-Vcpu 1 -MemoryMB 512 -Timeout 10m -AutoPause -Environment @{ GREETING = 'hi' }");
        var box = Assert.Single(host.Run($"Get-Sandbox -Name '{id}'"));
        Assert.Equal(id, P(box, "Name")); // leap0 sandboxes have no name of their own
        Assert.Equal(1, Convert.ToInt32(P(box, "Vcpus")));
        Assert.Equal(512L * 1024 * 1024, Convert.ToInt64(P(box, "MemBytes")));
        Assert.Equal(600, Convert.ToInt32(P(box, "TtlSeconds")));
        Assert.Equal(true, P(box, "AutoPause"));
        Assert.Equal("hi\n", Stdout(id, "echo $GREETING"));

        var paused = NewSandbox();
        host.Run($"Suspend-Sandbox -Name '{paused}'");
        Assert.Contains(id, Ids("Get-Sandbox"));
        var prefix = id[..4];
        var matched = Ids($"Get-Sandbox -Name '{prefix}*'").ToList();
        Assert.Contains(id, matched);
        Assert.All(matched, m => Assert.StartsWith(prefix, m, StringComparison.Ordinal));
        var running = Ids("Get-Sandbox -State running").ToList();
        Assert.Contains(id, running);
        Assert.DoesNotContain(paused, running);
        Assert.Equal([paused], Ids($"Get-Sandbox -Name '{paused}' -State paused"));
        Assert.Empty(host.Run($"Get-Sandbox -Name '{id}' -State paused"));

        host.Run($"Remove-Sandbox -Name '{id}' -Force");
        Assert.Equal("SandboxNotFound,SandboxModule.GetSandboxCommand", ErrorOf($"Get-Sandbox -Name '{id}'").FullyQualifiedErrorId);
        Assert.DoesNotContain(id, Ids("Get-Sandbox"));
    }

    [Fact]
    public void Invoke_SandboxCommand_gives_stdout_the_exit_code_and_runs_in_the_directory_and_environment_given()
    {
        var id = NewSandbox("-Environment @{ GREETING = 'hi' }");
        var result = Invoke(id, "echo \"$GREETING $EXTRA\"; pwd", ps => ps
            .AddParameter("WorkingDirectory", "/tmp").AddParameter("Environment", new System.Collections.Hashtable { ["EXTRA"] = "there" }));
        Assert.Equal("hi there\n/tmp\n", P(result, "Stdout"));
        Assert.Equal(0, P(result, "ExitCode"));

        var failed = Invoke(id, "echo out; echo err >&2; exit 3");
        Assert.Equal(3, P(failed, "ExitCode"));
        Assert.Equal("out\n", P(failed, "Stdout"));
        Assert.Equal("err\n", P(failed, "Stderr"));
    }

    [Fact]
    public void Files_go_in_and_out_with_Set_and_Get_SandboxContent_and_Copy_SandboxItem_both_ways()
    {
        var id = NewSandbox();
        host.Run($"Set-SandboxContent -Sandbox '{id}' -Path /tmp/l0.txt -Value 'x', 'y'");
        Assert.Equal("x\ny\n", Assert.Single(host.Run($"Get-SandboxContent -Sandbox '{id}' -Path /tmp/l0.txt -Raw")).BaseObject);
        Assert.Equal("x\ny\n", Stdout(id, "cat /tmp/l0.txt"));
        Assert.Equal(["1", "2", "3"], host.Run($"1..3 | Set-SandboxContent -Sandbox '{id}' -Path n.txt; Get-SandboxContent -Sandbox '{id}' -Path n.txt").Select(o => o.ToString()));
        Assert.Equal("SandboxPathNotFound,SandboxModule.GetSandboxContentCommand",
            ErrorOf($"Get-SandboxContent -Sandbox '{id}' -Path /tmp/none").FullyQualifiedErrorId);

        Directory.CreateDirectory(_files);
        var local = Path.Combine(_files, "up.txt");
        var back = Path.Combine(_files, "back.txt");
        File.WriteAllText(local, "from here");
        host.Run($"Copy-SandboxItem -Sandbox '{id}' -Path '{local}' -Destination /tmp/up.txt");
        Assert.Equal("from here", Stdout(id, "cat /tmp/up.txt"));
        Invoke(id, "printf 'from there' >> /tmp/up.txt");
        host.Run($"Copy-SandboxItem -Sandbox '{id}' -FromSandbox -Path /tmp/up.txt -Destination '{back}'");
        Assert.Equal("from herefrom there", File.ReadAllText(back));
    }

    [Fact]
    public void Suspend_Resume_and_Stop_Start_change_the_state_and_keep_the_files()
    {
        var id = NewSandbox();
        Invoke(id, "echo kept > /home/user/kept.txt");

        Assert.Equal("paused", P(Assert.Single(host.Run($"Suspend-Sandbox -Name '{id}' -PassThru")), "Status"));
        Assert.Equal("paused", P(Assert.Single(host.Run($"Get-Sandbox -Name '{id}'")), "Status"));
        Assert.Contains("paused", ErrorOf($"Suspend-Sandbox -Name '{id}'").ToString(), StringComparison.Ordinal);
        Assert.Equal("ready", P(Assert.Single(host.Run($"Resume-Sandbox -Name '{id}' -PassThru")), "Status"));
        Assert.Equal("kept\n", Stdout(id, "cat /home/user/kept.txt"));

        Assert.Equal("stopped", P(Assert.Single(host.Run($"Stop-Sandbox -Name '{id}' -PassThru")), "Status"));
        Assert.Equal([id], Ids($"Get-Sandbox -Name '{id}' -State stopped"));
        host.Run($"Start-Sandbox -Name '{id}'; '{id}' | Wait-Sandbox -TimeoutSec 120");
        Assert.Equal("ready", P(Assert.Single(host.Run($"Get-Sandbox -Name '{id}'")), "Status"));
        Assert.Equal("kept\n", Stdout(id, "cat /home/user/kept.txt"));
    }

    [Fact]
    public void A_snapshot_is_made_listed_restored_into_a_new_sandbox_and_removed()
    {
        var source = NewSandbox();
        Invoke(source, "echo snapped > /home/user/s.txt");
        var name = NewName("l0snap");
        var snapshot = Assert.Single(host.Run($"New-SandboxSnapshot -Sandbox '{source}' -Name '{name}'"));
        Assert.Equal(name, P(snapshot, "Name"));
        Assert.Equal("ready", P(snapshot, "Status"));
        var snapshotId = (string)P(snapshot, "Id")!;
        Assert.Equal([snapshotId], Ids($"Get-SandboxSnapshot -Name '{name}'"));
        Assert.Contains(snapshotId, Ids("Get-SandboxSnapshot -Name 'l0snap*'"));
        Assert.Equal(name, P(Assert.Single(host.Run($"Get-SandboxSnapshot -Id '{snapshotId}'")), "Name"));

        var restored = NewSandbox($"-Snapshot '{name}'");
        Assert.NotEqual(source, restored);
        Assert.Equal("snapped\n", Stdout(restored, "cat /home/user/s.txt"));

        host.Run($"Remove-SandboxSnapshot -Name '{name}' -Force");
        Assert.Equal("SnapshotNotFound,SandboxModule.GetSandboxSnapshotCommand", ErrorOf($"Get-SandboxSnapshot -Name '{name}'").FullyQualifiedErrorId);
    }

    [Fact]
    public void A_template_from_a_built_in_is_made_used_listed_renamed_and_removed()
    {
        var name = NewName("l0tpl");
        var template = Assert.Single(host.Run($"New-SandboxTemplate -Name '{name}' -Image 'system/debian:bookworm'"));
        Assert.Equal(name, P(template, "Name"));
        var templateId = (string)P(template, "Id")!;
        var names = host.Run("Get-SandboxTemplate").Select(t => (string)P(t, "Name")!).ToList();
        Assert.Contains("system/debian:bookworm", names);
        Assert.Contains(name, names);
        Assert.Equal([templateId], Ids($"Get-SandboxTemplate -Name '{name}'"));

        var box = NewSandbox($"-Template '{name}'");
        Assert.Equal(name, P(Assert.Single(host.Run($"Get-Sandbox -Name '{box}'")), "TemplateName"));
        Assert.Equal([templateId], Ids($"Get-Sandbox -Name '{box}' | Get-SandboxTemplate"));

        Assert.Equal(templateId, P(Assert.Single(host.Run($"Rename-SandboxTemplate -Name '{name}' -NewName '{name}-b' -PassThru")), "Id"));
        Assert.Equal("TemplateNotFound,SandboxModule.GetSandboxTemplateCommand", ErrorOf($"Get-SandboxTemplate -Name '{name}'").FullyQualifiedErrorId);
        var inUse = ErrorOf($"Remove-SandboxTemplate -Name '{name}-b' -Force");
        Assert.Contains("used by sandboxes", inUse.ToString(), StringComparison.Ordinal);
        Assert.Equal([templateId], Ids($"Get-SandboxTemplate -Name '{name}-b'"));

        host.Run($"Remove-Sandbox -Name '{box}' -Force; Remove-SandboxTemplate -Name '{name}-b' -Force");
        Assert.Equal("TemplateNotFound,SandboxModule.GetSandboxTemplateCommand", ErrorOf($"Get-SandboxTemplate -Name '{name}-b'").FullyQualifiedErrorId);
    }

    [Fact]
    public async Task Presigned_and_invoke_URLs_reach_a_web_server_in_the_sandbox_through_the_data_plane()
    {
        var id = NewSandbox();
        // A web server that outlives the command (setsid, in the background), and the command waits until it listens.
        Invoke(id, "mkdir -p /tmp/www && echo served-in-process > /tmp/www/index.html && cd /tmp/www && " +
                   "(setsid python3 -m http.server 8091 --bind 127.0.0.1 < /dev/null > /tmp/www.log 2>&1 &) && " +
                   "for i in $(seq 100); do python3 -c 'import socket; socket.create_connection((\"127.0.0.1\", 8091), 1)' 2>/dev/null && exit 0; sleep 0.1; done; exit 1");

        using var ca = X509CertificateLoader.LoadCertificateFromFile(host.DataPlaneCertificateAuthority);
        using var http = DataPlaneHttp(ca);

        var presigned = Assert.Single(host.Run($"Get-SandboxUrl -Sandbox '{id}' -Port 8091 -ExpiresIn 300"));
        var serviceUrl = (string)P(presigned, "ServiceUrl")!;
        Assert.False(string.IsNullOrEmpty((string?)P(presigned, "Token")));
        Assert.Matches($@"^https://[^./]+\.{System.Text.RegularExpressions.Regex.Escape(host.DataPlaneDomain)}/?$", serviceUrl);
        var presignedPage = serviceUrl.TrimEnd('/') + "/index.html";
        Assert.Equal("served-in-process\n", await http.GetStringAsync(presignedPage));
        // The TLS check is real: a client that trusts another CA does not get through.
        using (var otherCa = SelfSignedCertificateAuthority())
        using (var distrusting = DataPlaneHttp(otherCa))
            Assert.IsType<AuthenticationException>((await Assert.ThrowsAsync<HttpRequestException>(() => distrusting.GetStringAsync(presignedPage))).InnerException);

        var invokeUrl = Assert.IsType<Uri>(Assert.Single(host.Run($"Get-SandboxUrl -Sandbox '{id}' -Port 8091 -InvokeUrl -Path /index.html")).BaseObject);
        Assert.Equal(new Uri($"https://{id}-8091.{host.DataPlaneDomain}/index.html"), invokeUrl);
        using (var withKey = new HttpRequestMessage(HttpMethod.Get, invokeUrl))
        {
            withKey.Headers.Authorization = new("Bearer", host.ApiKey);
            using var response = await http.SendAsync(withKey);
            Assert.Equal(HttpStatusCode.OK, response.StatusCode);
            Assert.Equal("served-in-process\n", await response.Content.ReadAsStringAsync());
        }
        using (var withoutKey = await http.GetAsync(invokeUrl))
            Assert.Equal(HttpStatusCode.Unauthorized, withoutKey.StatusCode);
    }

    /// <summary>
    /// An HTTP client of the data plane: <c>*.sandbox.localhost</c> is the loopback (RFC 6761, which .NET's resolver does not
    /// apply), so it connects there without a name lookup while Host and SNI stay the URL's; it trusts only the server's CA.
    /// </summary>
    private static HttpClient DataPlaneHttp(X509Certificate2 ca) => new(new SocketsHttpHandler
    {
        UseProxy = false,
        ConnectCallback = async (context, token) =>
        {
            Assert.EndsWith(".sandbox.localhost", context.DnsEndPoint.Host, StringComparison.Ordinal);
            var socket = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp) { NoDelay = true };
            try
            {
                await socket.ConnectAsync(IPAddress.Loopback, context.DnsEndPoint.Port, token);
                return new NetworkStream(socket, ownsSocket: true);
            }
            catch
            {
                socket.Dispose();
                throw;
            }
        },
        SslOptions = new SslClientAuthenticationOptions
        {
            CertificateChainPolicy = new X509ChainPolicy
            {
                TrustMode = X509ChainTrustMode.CustomRootTrust,
                CustomTrustStore = { ca },
                RevocationMode = X509RevocationMode.NoCheck,
            },
        },
    })
    { Timeout = TimeSpan.FromMinutes(1) };

    private static X509Certificate2 SelfSignedCertificateAuthority()
    {
        using var key = ECDsa.Create();
        var request = new CertificateRequest("CN=not the data plane's CA", key, HashAlgorithmName.SHA256);
        request.CertificateExtensions.Add(new X509BasicConstraintsExtension(true, false, 0, true));
        return request.CreateSelfSigned(DateTimeOffset.UtcNow.AddDays(-1), DateTimeOffset.UtcNow.AddDays(1));
    }

    [Fact]
    public void What_leap0_lacks_is_a_SandboxNotSupported_error_naming_the_endpoint()
    {
        var id = NewSandbox();
        string[] lacking =
        [
            $"New-SandboxVolume -Name '{NewName("vol")}' -Size 16Mi",
            $"New-SandboxPool -Name '{NewName("pool")}' -Template base -Replicas 1",
            $"Rename-Sandbox -Name '{id}' -NewName 'other'",
            $"Get-SandboxUrl -Sandbox '{id}' -Path /etc/hostname",
            "New-Sandbox -Name 'named'",
            $"New-SandboxSnapshot -Sandbox '{id}' -Name '{NewName("snap")}' -Label @{{ a = 'b' }}",
            $"New-SandboxTemplate -Name '{NewName("tpl")}' -Image 'system/debian:bookworm' -Cpu 2",
        ];
        foreach (var script in lacking)
        {
            var error = ErrorOf(script);
            Assert.True(error.FullyQualifiedErrorId.StartsWith("SandboxNotSupported,", StringComparison.Ordinal), $"{script}: {error.FullyQualifiedErrorId}");
            Assert.Equal(ErrorCategory.NotImplemented, error.CategoryInfo.Category);
            Assert.Contains("not supported by this endpoint (leap0)", error.Exception.Message, StringComparison.Ordinal);
        }
        // Nothing was made by the refused calls.
        Assert.Empty(host.Run("Get-SandboxSnapshot -Name 'snap-*'"));
        Assert.Empty(host.Run("Get-SandboxTemplate -Name 'tpl-*' -ErrorAction Ignore"));
        Assert.Equal([id], Ids($"Get-Sandbox -Name '{id}'"));
    }

    public void Dispose()
    {
        if (Directory.Exists(_files)) Directory.Delete(_files, recursive: true);
        if (_made.Count == 0) return;
        using var ps = host.NewShell();
        ps.AddCommand("Remove-Sandbox").AddParameter("Name", _made.ToArray()).AddParameter("Force").AddParameter("ErrorAction", ActionPreference.Ignore).Invoke();
    }
}
