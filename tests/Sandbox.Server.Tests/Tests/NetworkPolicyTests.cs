using System.Diagnostics;
using System.Net;
using System.Net.Sockets;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using Sandbox.Server.Tests.Infrastructure;

namespace Sandbox.Server.Tests.Tests;

/// <summary>
/// A network namespace made by the test, with a veth pair to the host and a TCP listener in it: the only place
/// (besides loopback) that sandboxes in these tests send traffic to. Everything is removed on disposal.
/// </summary>
public sealed class TestNetNs : IDisposable
{
    public string Name { get; }
    public string HostIf { get; }
    public IPAddress HostAddress { get; }
    public IPAddress Address { get; }
    public int Port => 8080;
    private readonly Process _listener;

    public TestNetNs(int octet)
    {
        var tag = Convert.ToHexStringLower(RandomNumberGenerator.GetBytes(3));
        Name = $"npt-{tag}";
        HostIf = $"npt{tag}a";
        var peer = $"npt{tag}b";
        HostAddress = IPAddress.Parse($"10.251.{octet}.1");
        Address = IPAddress.Parse($"10.251.{octet}.2");
        try
        {
            Sh("ip", "netns", "add", Name);
            Sh("ip", "link", "add", HostIf, "type", "veth", "peer", "name", peer);
            Sh("ip", "link", "set", peer, "netns", Name);
            Sh("ip", "addr", "add", $"{HostAddress}/30", "dev", HostIf);
            Sh("ip", "link", "set", HostIf, "up");
            // Answers to a sandbox enter the host here; forwarding on for this test interface only (ip_forward may be 0).
            File.WriteAllText($"/proc/sys/net/ipv4/conf/{HostIf}/forwarding", "1");
            Sh("ip", "netns", "exec", Name, "ip", "link", "set", "lo", "up");
            Sh("ip", "netns", "exec", Name, "ip", "addr", "add", $"{Address}/30", "dev", peer);
            Sh("ip", "netns", "exec", Name, "ip", "link", "set", peer, "up");
            // A bounded listener: answers every connection, ends by itself after three minutes.
            var psi = new ProcessStartInfo("ip") { UseShellExecute = false, RedirectStandardOutput = true, RedirectStandardError = true };
            foreach (var a in new[] { "netns", "exec", Name, "timeout", "180", "python3", "-c",
                         $"import socket\ns=socket.socket();s.setsockopt(socket.SOL_SOCKET,socket.SO_REUSEADDR,1);s.bind(('{Address}',{Port}));s.listen(16)\nwhile True:\n c,_=s.accept();c.sendall(b'hello-from-testns\\n');c.close()" })
                psi.ArgumentList.Add(a);
            _listener = Process.Start(psi)!;
            var deadline = DateTime.UtcNow.AddSeconds(10);
            while (!Sh("ip", "netns", "exec", Name, "ss", "-ltn").Contains($"{Address}:{Port}"))
            {
                if (DateTime.UtcNow > deadline) throw new InvalidOperationException("the test listener did not start");
                Thread.Sleep(100);
            }
        }
        catch
        {
            Dispose();
            throw;
        }
    }

    public static string Sh(params string[] args)
    {
        var psi = new ProcessStartInfo(args[0]) { UseShellExecute = false, RedirectStandardOutput = true, RedirectStandardError = true };
        foreach (var a in args.Skip(1)) psi.ArgumentList.Add(a);
        using var p = Process.Start(psi)!;
        var output = p.StandardOutput.ReadToEnd() + p.StandardError.ReadToEnd();
        if (!p.WaitForExit(20000)) p.Kill();
        if (p.ExitCode != 0) throw new InvalidOperationException($"{string.Join(' ', args)} failed: {output}");
        return output;
    }

    public void Dispose()
    {
        try
        {
            if (_listener is { HasExited: false }) _listener.Kill(entireProcessTree: true);
        }
        catch (InvalidOperationException)
        {
        }
        try { Sh("ip", "netns", "del", Name); } catch (InvalidOperationException) { }
        try { if (Directory.Exists($"/sys/class/net/{HostIf}")) Sh("ip", "link", "del", HostIf); } catch (InvalidOperationException) { }
    }
}

/// <summary>
/// A veth from a sandbox's network namespace (end <c>v6in</c>) to a namespace made by the test that listens on an
/// IPv6 unique-local address (a bounded Python listener), IPv6 only. Removing the test namespace removes the pair.
/// </summary>
public sealed class Ipv6Link : IDisposable
{
    public string Name { get; }
    public IPAddress Address { get; }
    public int Port => 8080;
    private readonly Process? _listener;

    public Ipv6Link(int sandboxPid, int octet)
    {
        var tag = Convert.ToHexStringLower(RandomNumberGenerator.GetBytes(3));
        Name = $"npt6-{tag}";
        var prefix = $"fd{RandomNumberGenerator.GetInt32(0, 256):x2}:{tag[..4]}:{tag[4..]}:{octet:x}";
        Address = IPAddress.Parse($"{prefix}::2");
        var outer = $"n6{tag}o";
        var inner = $"n6{tag}i";
        try
        {
            TestNetNs.Sh("ip", "netns", "add", Name);
            TestNetNs.Sh("ip", "link", "add", inner, "type", "veth", "peer", "name", outer);
            TestNetNs.Sh("ip", "link", "set", outer, "netns", Name);
            TestNetNs.Sh("ip", "link", "set", inner, "netns", sandboxPid.ToString());
            var ns = $"--net=/proc/{sandboxPid}/ns/net";
            TestNetNs.Sh("nsenter", ns, "sh", "-c",
                $"echo 0 > /proc/sys/net/ipv6/conf/{inner}/disable_ipv6 && ip -6 addr add {prefix}::1/64 dev {inner} nodad && ip link set {inner} up");
            TestNetNs.Sh("ip", "netns", "exec", Name, "sh", "-c",
                $"ip link set lo up && ip -6 addr add {Address}/64 dev {outer} nodad && ip link set {outer} up");
            var psi = new ProcessStartInfo("ip") { UseShellExecute = false, RedirectStandardOutput = true, RedirectStandardError = true };
            foreach (var a in new[] { "netns", "exec", Name, "timeout", "120", "python3", "-c",
                         $"import socket\ns=socket.socket(socket.AF_INET6);s.setsockopt(socket.SOL_SOCKET,socket.SO_REUSEADDR,1);s.bind(('{Address}',{Port}));s.listen(16)\nwhile True:\n c,_=s.accept();c.sendall(b'hello-v6\\n');c.close()" })
                psi.ArgumentList.Add(a);
            _listener = Process.Start(psi)!;
            var deadline = DateTime.UtcNow.AddSeconds(10);
            while (!TestNetNs.Sh("ip", "netns", "exec", Name, "ss", "-ltn").Contains($"[{Address}]:{Port}"))
            {
                if (DateTime.UtcNow > deadline) throw new InvalidOperationException("the IPv6 test listener did not start");
                Thread.Sleep(100);
            }
        }
        catch
        {
            Dispose();
            throw;
        }
    }

    public void Dispose()
    {
        try
        {
            if (_listener is { HasExited: false }) _listener.Kill(entireProcessTree: true);
        }
        catch (InvalidOperationException)
        {
        }
        try { TestNetNs.Sh("ip", "netns", "del", Name); } catch (InvalidOperationException) { }
    }
}

/// <summary>A server of its own (a network range of its own) and a test namespace shared by the network policy tests.</summary>
public sealed class NetworkFixture : IAsyncLifetime
{
    public int Octet { get; } = RandomNumberGenerator.GetInt32(1, 250);
    public string Range => $"10.214.{Octet}.0/24";
    public ServerProcess Server { get; private set; } = null!;
    public TestNetNs Target { get; private set; } = null!;

    public async Task InitializeAsync()
    {
        Target = new TestNetNs(Octet);
        Server = await ServerProcess.StartAsync(1, ["--network-range", Range, "--network-resolve-interval", "1", "--data-plane-listen", "127.0.0.1:0"]);
    }

    public async Task DisposeAsync()
    {
        if (Server is not null) await Server.DisposeAsync();
        Target?.Dispose();
        // The server's host table goes with its last networked sandbox; never leave it behind.
        try { TestNetNs.Sh("nft", "delete", "table", "ip", NetworkPolicyTests.HostTable(Server!)); } catch (InvalidOperationException) { }
    }
}

public sealed class NetworkPolicyTests(NetworkFixture fx) : IClassFixture<NetworkFixture>
{
    private ServerProcess S => fx.Server;
    private TestNetNs T => fx.Target;

    public static string HostTable(ServerProcess s) => "sandbox_" + Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes(s.DataDir)))[..6];

    private static JsonObject Policy(string mode, string[]? cidrs = null, string[]? domains = null)
    {
        var p = new JsonObject { ["mode"] = mode };
        if (cidrs is not null) p["allow_cidrs"] = new JsonArray(cidrs.Select(c => (JsonNode)c!).ToArray());
        if (domains is not null) p["allow_domains"] = new JsonArray(domains.Select(c => (JsonNode)c!).ToArray());
        return p;
    }

    private Task<Box> CreateAsync(JsonObject? policy, string tag = "net") =>
        Box.CreateAsync(S, tag: tag, extra: policy is null ? null : new JsonObject { ["network_policy"] = policy });

    /// <summary>One bounded TCP connect from inside the sandbox (2 s), true when the peer answered.</summary>
    private static async Task<bool> ConnectsAsync(Box box, IPAddress address, int port)
    {
        var r = await box.ExecAsync($"timeout 3 bash -c 'exec 3<>/dev/tcp/{address}/{port} && echo reached' 2>/dev/null || echo blocked", timeout: 10);
        return r.Out.Contains("reached");
    }

    /// <summary>The same with the address as text (an IPv6 one may carry the scope as seen inside: <c>fe80::1%eth0</c>).</summary>
    private static async Task<bool> ConnectsAsync(Box box, string address, int port)
    {
        var r = await box.ExecAsync($"timeout 3 bash -c 'exec 3<>/dev/tcp/{address}/{port} && echo reached' 2>/dev/null || echo blocked", timeout: 10);
        return r.Out.Contains("reached");
    }

    /// <summary>Host addresses in the server's range (the host ends of its veths).</summary>
    private string HostVethAddresses() => TestNetNs.Sh("ip", "-o", "-4", "addr", "show", "to", fx.Range);

    private static string Mode(JsonElement sandbox) => sandbox.GetProperty("network_policy").GetProperty("mode").GetString()!;

    [Fact]
    public async Task Deny_all_is_the_default_and_blocks_the_test_namespace()
    {
        await using var box = await CreateAsync(null);
        Assert.Equal("deny-all", Mode(box.Created));
        Assert.False(await ConnectsAsync(box, T.Address, T.Port));
        Assert.Equal("lo", (await box.RunAsync("ip -o link | cut -d: -f2 | tr -d ' '")).Trim());
    }

    [Fact]
    public async Task Allow_all_reaches_the_test_namespace_and_delete_removes_the_veth()
    {
        var box = await CreateAsync(Policy("allow-all"));
        await using (box)
        {
            Assert.Equal("allow-all", Mode(box.Created));
            Assert.True(await ConnectsAsync(box, T.Address, T.Port), "allow-all did not reach the test namespace");
            Assert.Contains("hello-from-testns", await box.RunAsync($"timeout 3 bash -c 'exec 3<>/dev/tcp/{T.Address}/{T.Port}; head -1 <&3'"));
            Assert.NotEmpty(HostVethAddresses().Trim());
        }
        await Poll.UntilAsync(() => HostVethAddresses().Trim().Length == 0, TimeSpan.FromSeconds(10), "the veth to go after delete");
        Assert.DoesNotContain(HostTable(S), TestNetNs.Sh("nft", "list", "tables"));
    }

    [Fact]
    public async Task Custom_reaches_only_allowed_cidrs()
    {
        await using var matching = await CreateAsync(Policy("custom", [$"{T.Address}/32"]), "match");
        await using var other = await CreateAsync(Policy("custom", ["192.0.2.0/24"]), "other");
        Assert.Equal("custom", Mode(matching.Created));
        Assert.Equal($"{T.Address}/32", matching.Created.GetProperty("network_policy").GetProperty("allow_cidrs")[0].GetString());
        Assert.True(await ConnectsAsync(matching, T.Address, T.Port), "a matching allow_cidr did not reach the test namespace");
        Assert.False(await ConnectsAsync(other, T.Address, T.Port), "a non-matching allow_cidr reached the test namespace");
    }

    private Task<Box> CreateWithProxyConfigAsync(string proxyConfig, string tag) =>
        Box.CreateAsync(S, tag: tag, extra: new JsonObject { ["proxy_config"] = JsonNode.Parse(proxyConfig) });

    [Fact]
    public async Task Proxy_config_deny_list_blocks_what_it_lists_and_lets_the_rest_out()
    {
        await using var denied = await CreateWithProxyConfigAsync($"{{\"access_control\":{{\"deny_list\":[\"{T.Address}\"]}}}}", "deny-hit");
        await using var other = await CreateWithProxyConfigAsync("{\"access_control\":{\"deny_list\":[\"192.0.2.0/24\"]}}", "deny-miss");
        Assert.Equal("allow-all-except", Mode(denied.Created));
        Assert.False(await ConnectsAsync(denied, T.Address, T.Port), "a deny_list address was reachable");
        Assert.True(await ConnectsAsync(other, T.Address, T.Port), "an address not on the deny_list was not reachable");
        // The server's API port stays closed under a deny list, as under allow-all (a listener on the gateway stands in for it).
        var gateway = IPAddress.Parse((await other.RunAsync("ip -4 route show default | cut -d' ' -f3")).Trim());
        using var onApiPort = new TcpListener(gateway, S.Port);
        using var control = new TcpListener(gateway, 0);
        onApiPort.Start();
        control.Start();
        Assert.True(await ConnectsAsync(other, gateway, ((IPEndPoint)control.LocalEndpoint).Port), "the host end of the veth is not reachable at all");
        Assert.False(await ConnectsAsync(other, gateway, S.Port), "the sandbox reached the server's API port under a deny list");

        // PATCH to a deny list that names the target cuts it off at once; an allow_list naming it opens it again.
        await using var patched = await CreateAsync(Policy("allow-all"), "deny-patch");
        Assert.True(await ConnectsAsync(patched, T.Address, T.Port));
        (await S.PatchAsync(patched.Path, JsonNode.Parse($"{{\"proxy_config\":{{\"access_control\":{{\"deny_list\":[\"{T.Address}/32\"]}}}}}}"))).Expect(200);
        Assert.False(await ConnectsAsync(patched, T.Address, T.Port), "a PATCHed deny_list did not block");
        (await S.PatchAsync(patched.Path, JsonNode.Parse($"{{\"proxy_config\":{{\"access_control\":{{\"allow_list\":[\"{T.Address}\"]}}}}}}"))).Expect(200);
        Assert.True(await ConnectsAsync(patched, T.Address, T.Port), "an allow_list naming the target did not reach it");
    }

    [Fact]
    public Task Proxy_config_deny_list_domains_block_the_addresses_they_resolve_to() =>
        WithHostsDomainAsync("npt-deny", async domain =>
        {
            await using var box = await CreateWithProxyConfigAsync($"{{\"access_control\":{{\"deny_list\":[\"{domain}\"]}}}}", "deny-dom");
            Assert.Equal([domain], box.Created.GetProperty("network_policy").GetProperty("deny_domains").EnumerateArray().Select(d => d.GetString()));
            Assert.False(await ConnectsAsync(box, T.Address, T.Port), "the address a denied domain resolves to was reachable");
        });

    /// <summary>Runs <paramref name="body"/> while /etc/hosts maps a fresh <c>.test</c> domain to the test namespace; the line goes after.</summary>
    private async Task WithHostsDomainAsync(string prefix, Func<string, Task> body)
    {
        var domain = $"{prefix}-{Guid.NewGuid().ToString("N")[..8]}.test";
        var line = $"{T.Address} {domain} # sandbox network policy test";
        File.AppendAllText("/etc/hosts", line + "\n");
        try
        {
            await body(domain);
        }
        finally
        {
            File.WriteAllLines("/etc/hosts", File.ReadAllLines("/etc/hosts").Where(l => l != line));
        }
    }

    [Fact]
    public async Task Network_policy_allow_all_except_takes_deny_lists_only()
    {
        await using var box = await CreateAsync(new JsonObject { ["mode"] = "allow-all-except", ["deny_cidrs"] = new JsonArray((JsonNode)$"{T.Address}/32") }, "deny-np");
        Assert.False(await ConnectsAsync(box, T.Address, T.Port));
        var body = $"{{\"template_name\":\"base\",\"network_policy\":{{\"mode\":\"allow-all-except\",\"allow_cidrs\":[\"10.0.0.0/8\"]}}}}";
        (await Api.SendAsync(S.Http, HttpMethod.Post, Api.Boxes, Api.JsonBody(body))).ExpectValidation("allow_cidrs");
        body = "{\"template_name\":\"base\",\"network_policy\":{\"mode\":\"custom\",\"deny_cidrs\":[\"10.0.0.0/8\"]}}";
        (await Api.SendAsync(S.Http, HttpMethod.Post, Api.Boxes, Api.JsonBody(body))).ExpectValidation("deny_cidrs");
    }

    [Fact]
    public Task Custom_allow_domains_resolve_through_the_hosts_file() =>
        WithHostsDomainAsync("npt", async domain =>
        {
            await using var box = await CreateAsync(Policy("custom", domains: [domain, "*." + domain]));
            Assert.True(await ConnectsAsync(box, T.Address, T.Port), "an allowed domain's address was not reachable");
        });

    [Fact]
    public async Task Patch_changes_the_policy_of_a_running_sandbox()
    {
        await using var box = await CreateAsync(null);
        Assert.False(await ConnectsAsync(box, T.Address, T.Port));
        var patched = (await S.PatchAsync(box.Path, new JsonObject { ["network_policy"] = Policy("allow-all") })).Expect(200).Json;
        Assert.Equal("allow-all", Mode(patched));
        Assert.True(await ConnectsAsync(box, T.Address, T.Port), "PATCH to allow-all did not open the network");
        (await S.PatchAsync(box.Path, new JsonObject { ["network_policy"] = Policy("custom", ["198.51.100.0/24"]) })).Expect(200);
        Assert.False(await ConnectsAsync(box, T.Address, T.Port), "PATCH to a non-matching custom policy left the network open");
        (await S.PatchAsync(box.Path, new JsonObject { ["network_policy"] = Policy("deny-all") })).Expect(200);
        Assert.Equal("lo", (await box.RunAsync("ip -o link | cut -d: -f2 | tr -d ' '")).Trim());
        Assert.Equal("deny-all", Mode((await S.GetAsync(box.Path)).Expect(200).Json));
        // The custom table was replaced whole by the deny-all one (lo only), not added to.
        var rules = InNs(SandboxPid(box), "nft list ruleset");
        Assert.Single(rules.Split('\n'), l => l.Contains("chain output"));
        Assert.Contains("policy drop", rules);
        Assert.DoesNotContain("198.51.100.0/24", rules);
    }

    [Fact]
    public async Task Allow_all_cannot_reach_the_server_api_port()
    {
        await using var box = await CreateAsync(Policy("allow-all"));
        var gateway = IPAddress.Parse((await box.RunAsync("ip -4 route show default | cut -d' ' -f3")).Trim());
        // Listeners on the gateway address in the host: one on the server's port, one on a port the policy does not concern.
        using var onApiPort = new TcpListener(gateway, S.Port);
        using var control = new TcpListener(gateway, 0);
        onApiPort.Start();
        control.Start();
        var controlPort = ((IPEndPoint)control.LocalEndpoint).Port;
        Assert.True(await ConnectsAsync(box, gateway, controlPort), "the host end of the veth is not reachable at all");
        Assert.False(await ConnectsAsync(box, gateway, S.Port), "the sandbox reached the server's API port");
        // The data plane's port is the server's too.
        var dataPlanePort = int.Parse(S.Ready!.DataPlaneDomain![(S.Ready.DataPlaneDomain!.LastIndexOf(':') + 1)..]);
        using var onDataPlanePort = new TcpListener(gateway, dataPlanePort);
        onDataPlanePort.Start();
        Assert.False(await ConnectsAsync(box, gateway, dataPlanePort), "the sandbox reached the server's data-plane port");
    }

    [Fact]
    public async Task Stop_removes_the_veth_and_start_reapplies_the_policy()
    {
        await using var box = await CreateAsync(Policy("allow-all"));
        Assert.NotEmpty(HostVethAddresses().Trim());
        (await S.PostAsync(box.Path + "/stop", new { })).Expect(200);
        Assert.Equal("", HostVethAddresses().Trim());
        var started = (await S.PostAsync(box.Path + "/start", new { })).Expect(200).Json;
        Assert.Equal("allow-all", Mode(started));
        Assert.True(await ConnectsAsync(box, T.Address, T.Port), "start did not re-apply the policy");
    }

    [Fact]
    public async Task Restart_reattaches_without_duplicating_rules()
    {
        await using var box = await CreateAsync(Policy("custom", [$"{T.Address}/32"]));
        Assert.True(await ConnectsAsync(box, T.Address, T.Port));
        await S.RestartAsync();
        Assert.True(await ConnectsAsync(box, T.Address, T.Port), "the policy did not survive a server restart");
        Assert.Single(HostVethAddresses().Trim().Split('\n'));
        var pid = HostProbe.CgroupDirs(box.Id, "pids").SelectMany(HostProbe.Procs)
            .First(p => new FileInfo($"/proc/{p}/ns/net").LinkTarget != new FileInfo("/proc/self/ns/net").LinkTarget);
        var rules = TestNetNs.Sh("nsenter", $"--net=/proc/{pid}/ns/net", "nft", "list", "ruleset");
        Assert.Equal(["table inet sandbox_policy {"], rules.Split('\n').Where(l => l.StartsWith("table ")));
        Assert.Single(rules.Split('\n'), l => l.Contains("chain output"));
        Assert.Single(rules.Split('\n'), l => l.Contains("oifname \"lo\" accept"));
    }

    /// <summary>A process of the sandbox in its own network namespace.</summary>
    private static int SandboxPid(Box box) => HostProbe.CgroupDirs(box.Id, "pids").SelectMany(HostProbe.Procs)
        .First(p => new FileInfo($"/proc/{p}/ns/net").LinkTarget != new FileInfo("/proc/self/ns/net").LinkTarget);

    /// <summary>Runs a shell command in the sandbox's network namespace, from the host (as root, outside the sandbox's rules' reach).</summary>
    private static string InNs(int pid, string script) => TestNetNs.Sh("nsenter", $"--net=/proc/{pid}/ns/net", "sh", "-c", script);

    /// <summary>Removes every rule inside the sandbox's namespace: the control that shows a blocked connect was blocked by the rules.</summary>
    private static void FlushRules(int pid) => InNs(pid, "nft flush ruleset");

    private static async Task UntilLinkLocalAsync(Func<string> show, string what) =>
        await Poll.UntilAsync(() => show().Contains("inet6 fe80:"), TimeSpan.FromSeconds(10), $"a usable link-local address on {what}");

    private static string LinkLocalOf(string output) => output.Split(' ', StringSplitOptions.RemoveEmptyEntries)
        .SkipWhile(w => w != "inet6").Skip(1).First().Split('/')[0];

    /// <summary>
    /// The sandbox's veth with IPv6 on at both ends, as it would be without the server's sysctls: IPv6 turned on again
    /// (the server turns it off as a second line of defence), DAD off so the link-local addresses are usable at once.
    /// Returns the sandbox's pid, the host end and its link-local address (the tests then see what the rules alone do).
    /// </summary>
    private static async Task<(int Pid, string HostIf, IPAddress HostLinkLocal)> Ipv6OnVethAsync(Box box)
    {
        var gateway = (await box.RunAsync("ip -4 route show default | cut -d' ' -f3")).Trim();
        var hostIf = TestNetNs.Sh("ip", "-o", "-4", "addr", "show", "to", gateway + "/32").Split(' ', StringSplitOptions.RemoveEmptyEntries)[1];
        var pid = SandboxPid(box);
        foreach (var (file, value) in new[] { ("accept_dad", "0"), ("disable_ipv6", "0") })
        {
            File.WriteAllText($"/proc/sys/net/ipv6/conf/{hostIf}/{file}", value);
            InNs(pid, $"echo {value} > /proc/sys/net/ipv6/conf/eth0/{file}");
        }
        string HostShow() => TestNetNs.Sh("ip", "-6", "-o", "addr", "show", "dev", hostIf, "scope", "link", "-tentative");
        await UntilLinkLocalAsync(HostShow, "the host end of the veth");
        await UntilLinkLocalAsync(() => InNs(pid, "ip -6 -o addr show dev eth0 scope link -tentative"), "the sandbox's eth0");
        var linkLocal = IPAddress.Parse(LinkLocalOf(HostShow()));
        linkLocal.ScopeId = long.Parse(File.ReadAllText($"/sys/class/net/{hostIf}/ifindex").Trim());
        return (pid, hostIf, linkLocal);
    }

    private static string Scoped(IPAddress linkLocal, string ifName) => $"{new IPAddress(linkLocal.GetAddressBytes())}%{ifName}";

    [Fact]
    public async Task Ipv6_is_off_on_both_ends_of_the_veth()
    {
        await using var box = await CreateAsync(Policy("allow-all"), "v6off");
        var gateway = (await box.RunAsync("ip -4 route show default | cut -d' ' -f3")).Trim();
        var hostIf = TestNetNs.Sh("ip", "-o", "-4", "addr", "show", "to", gateway + "/32").Split(' ', StringSplitOptions.RemoveEmptyEntries)[1];
        Assert.Equal("1", File.ReadAllText($"/proc/sys/net/ipv6/conf/{hostIf}/disable_ipv6").Trim());
        Assert.Equal("", TestNetNs.Sh("ip", "-6", "-o", "addr", "show", "dev", hostIf).Trim());
        Assert.Equal("", InNs(SandboxPid(box), "ip -6 -o addr show dev eth0").Trim());
        Assert.Contains("::1", InNs(SandboxPid(box), "ip -6 -o addr show dev lo"));
    }

    [Fact]
    public async Task Custom_with_an_ipv4_allow_list_blocks_ipv6_to_the_host_end_of_the_veth()
    {
        await using var box = await CreateAsync(Policy("custom", [$"{T.Address}/32"]), "v6custom");
        var (pid, _, linkLocal) = await Ipv6OnVethAsync(box);
        using var listener = new TcpListener(new IPEndPoint(linkLocal, 0));
        listener.Start();
        var port = ((IPEndPoint)listener.LocalEndpoint).Port;
        Assert.True(await ConnectsAsync(box, T.Address, T.Port), "the IPv4 allow list does not work");
        Assert.False(await ConnectsAsync(box, Scoped(linkLocal, "eth0"), port), "custom with an IPv4-only allow list let IPv6 out to the host's link-local address");
        FlushRules(pid);
        Assert.True(await ConnectsAsync(box, Scoped(linkLocal, "eth0"), port), "control: without the rules the link-local listener is not reachable either, so the test proves nothing");
    }

    [Fact]
    public async Task Allow_all_cannot_reach_the_server_api_port_over_ipv6()
    {
        await using var box = await CreateAsync(Policy("allow-all"), "v6api");
        var (pid, hostIf, linkLocal) = await Ipv6OnVethAsync(box);
        // A unique-local address on each end of the veth, standing for any IPv6 address the host may have.
        var prefix = $"fd{RandomNumberGenerator.GetInt32(0, 256):x2}:{RandomNumberGenerator.GetInt32(0, 65536):x}:{RandomNumberGenerator.GetInt32(0, 65536):x}:{fx.Octet:x}";
        var hostAddress = IPAddress.Parse($"{prefix}::1");
        TestNetNs.Sh("ip", "-6", "addr", "add", $"{hostAddress}/64", "dev", hostIf, "nodad");
        InNs(pid, $"ip -6 addr add {prefix}::2/64 dev eth0 nodad");
        using var onLinkLocal = new TcpListener(new IPEndPoint(linkLocal, S.Port));
        using var onAddress = new TcpListener(new IPEndPoint(hostAddress, S.Port));
        onLinkLocal.Start();
        onAddress.Start();
        Assert.False(await ConnectsAsync(box, Scoped(linkLocal, "eth0"), S.Port), "allow-all reached the server's port on the host's link-local address");
        Assert.False(await ConnectsAsync(box, hostAddress.ToString(), S.Port), "allow-all reached the server's port on an IPv6 address of the host");
        FlushRules(pid);
        Assert.True(await ConnectsAsync(box, Scoped(linkLocal, "eth0"), S.Port), "control: without the rules the link-local listener is not reachable either");
        Assert.True(await ConnectsAsync(box, hostAddress.ToString(), S.Port), "control: without the rules the IPv6 listener is not reachable either");
    }

    [Fact]
    public async Task Deny_all_blocks_ipv6_on_an_interface_added_to_the_namespace()
    {
        await using var box = await CreateAsync(null, "v6deny");
        var pid = SandboxPid(box);
        // The server gives a deny-all sandbox no interface but lo; the test adds one (a veth to a namespace of its
        // own, IPv6 only) to see that the rules, not only the missing interface, keep the sandbox in.
        using var link = new Ipv6Link(pid, fx.Octet);
        Assert.False(await ConnectsAsync(box, link.Address.ToString(), link.Port), "deny-all let IPv6 out over an interface added to its namespace");
        FlushRules(pid);
        Assert.True(await ConnectsAsync(box, link.Address.ToString(), link.Port), "control: without the rules the test namespace is not reachable either");
    }

    [Theory]
    [InlineData("{\"mode\":\"open\"}", "mode")]
    [InlineData("{\"mode\":\"custom\",\"allow_cidrs\":[\"10.0.0.0/33\"]}", "allow_cidrs")]
    [InlineData("{\"mode\":\"custom\",\"allow_cidrs\":[\"fd00::/8\"]}", "allow_cidrs")]
    [InlineData("{\"mode\":\"custom\",\"allow_domains\":[\"bad domain\"]}", "allow_domains")]
    [InlineData("{\"allow_cidrs\":[]}", "mode")]
    [InlineData("\"allow-all\"", "network_policy")]
    public async Task Invalid_policies_are_422_naming_the_field(string policy, string field)
    {
        var body = $"{{\"template_name\":\"base\",\"name\":\"{Names.New("bad")}\",\"network_policy\":{policy}}}";
        (await Api.SendAsync(S.Http, HttpMethod.Post, Api.Boxes, Api.JsonBody(body))).ExpectValidation(field);
    }

    [Fact]
    public async Task Too_many_cidrs_are_422()
    {
        var cidrs = Enumerable.Range(1, 11).Select(i => $"10.9.{i}.0/24").ToArray();
        var r = await S.PostAsync(Api.Boxes, new JsonObject { ["template_name"] = "base", ["network_policy"] = Policy("custom", cidrs) });
        r.ExpectValidation("allow_cidrs");
        await using var box = await CreateAsync(null);
        (await S.PatchAsync(box.Path, new JsonObject { ["network_policy"] = Policy("custom", domains: Enumerable.Range(0, 51).Select(i => $"d{i}.example").ToArray()) }))
            .ExpectValidation("allow_domains");
    }
}
