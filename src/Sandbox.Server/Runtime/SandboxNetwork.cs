using System.Diagnostics;
using System.Net;
using System.Net.NetworkInformation;
using System.Net.Sockets;
using System.Security.Cryptography;
using System.Text;

namespace Sandbox.Server.Runtime;

/// <summary>The addresses of one sandbox's /30: the host end (its default gateway) and the sandbox end.</summary>
public sealed record NetworkSlot(int Index, IPAddress Host, IPAddress Sandbox, string HostIf, string PeerIf);

/// <summary>
/// What the rules inside a sandbox's network namespace let out: everything (<paramref name="AllowAll"/>) but
/// <paramref name="DenyCidrs"/>, or only <paramref name="AllowCidrs"/>.
/// </summary>
public sealed record EgressRules(bool AllowAll, IReadOnlyList<string> AllowCidrs, bool AllowServerPort, IReadOnlyList<string>? DenyCidrs = null);

/// <summary>
/// The network plumbing of sandboxes that may talk to the outside: a veth pair per sandbox (host end on the host,
/// the peer moved into the sandbox's network namespace as eth0), addresses from the server's private range, one
/// nft table of the server on the host that masquerades that range, and an nft table inside each sandbox's own
/// namespace that decides what may leave. The sandbox has no CAP_NET_ADMIN, so nothing inside can change them.
/// All commands run on the host; the sandbox's namespace is entered with <c>nsenter --net=/proc/PID/ns/net</c>.
/// </summary>
public sealed class SandboxNetwork
{
    public const string InnerTable = "sandbox_policy";
    private readonly ServerOptions _options;
    private readonly ILogger<SandboxNetwork> _log;
    private readonly string _hash;
    private readonly uint _rangeBase;
    private readonly int _rangePrefix;
    private readonly Lock _hostTableLock = new();
    private bool _hostTableReady;

    private readonly IServiceProvider _services;

    public SandboxNetwork(ServerOptions options, ILogger<SandboxNetwork> log, IServiceProvider services)
    {
        _options = options;
        _services = services;
        _log = log;
        _hash = Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes(options.DataDir)))[..6];
        (_rangeBase, _rangePrefix) = ParseCidr(options.NetworkRange) ?? throw new ArgumentException($"network range '{options.NetworkRange}' is not an IPv4 CIDR");
    }

    /// <summary>The server's nft table on the host (NAT for its range), named after this server's data dir.</summary>
    public string HostTable => $"sandbox_{_hash}";

    /// <summary>Prefix of every host-side veth name of this server.</summary>
    public string HostIfPrefix => $"s{_hash}h";

    public int SlotCount => _rangePrefix > 30 ? 0 : 1 << (30 - _rangePrefix);

    public NetworkSlot Slot(int index)
    {
        if (index < 0 || index >= SlotCount) throw new InvalidOperationException($"network range {_options.NetworkRange} has no room for sandbox slot {index}");
        var net = _rangeBase + (uint)index * 4;
        return new NetworkSlot(index, ToAddress(net + 1), ToAddress(net + 2), $"{HostIfPrefix}{index}", $"s{_hash}p{index}");
    }

    /// <summary>Parses "a.b.c.d/n" (IPv4 only); null when it is not one. The base is masked to the prefix.</summary>
    public static (uint Base, int Prefix)? ParseCidr(string text)
    {
        var parts = text.Split('/');
        if (parts.Length > 2 || !IPAddress.TryParse(parts[0], out var ip) || ip.AddressFamily != AddressFamily.InterNetwork || parts[0].Count(c => c == '.') != 3) return null;
        var prefix = 32;
        if (parts.Length == 2 && (!int.TryParse(parts[1], System.Globalization.NumberStyles.None, null, out prefix) || prefix > 32)) return null;
        var value = ToUInt(ip);
        var mask = prefix == 0 ? 0u : uint.MaxValue << (32 - prefix);
        return (value & mask, prefix);
    }

    /// <summary>"a.b.c.d/n" with the base masked ("a.b.c.d" alone is a /32); null when not an IPv4 CIDR.</summary>
    public static string? NormalizeCidr(string text) => ParseCidr(text) is var (b, p) ? $"{ToAddress(b)}/{p}" : null;

    private static uint ToUInt(IPAddress ip)
    {
        var b = ip.GetAddressBytes();
        return (uint)(b[0] << 24 | b[1] << 16 | b[2] << 8 | b[3]);
    }

    private static IPAddress ToAddress(uint v) => new([(byte)(v >> 24), (byte)(v >> 16), (byte)(v >> 8), (byte)v]);

    /// <summary>True when the CIDR covers the address.</summary>
    public static bool Covers(string cidr, IPAddress address)
    {
        if (ParseCidr(cidr) is not var (b, p)) return false;
        var mask = p == 0 ? 0u : uint.MaxValue << (32 - p);
        return (ToUInt(address) & mask) == b;
    }

    /// <summary>A process of the sandbox in a network namespace other than the server's (the outer bwrap stays in the host's).</summary>
    public static int? FindSandboxProcess(SandboxCgroups cgroups)
    {
        string? own;
        try
        {
            own = new FileInfo("/proc/self/ns/net").LinkTarget;
        }
        catch (IOException)
        {
            return null;
        }
        foreach (var pid in cgroups.Processes())
        {
            try
            {
                var ns = new FileInfo($"/proc/{pid}/ns/net").LinkTarget;
                if (ns is not null && own is not null && ns != own) return pid;
            }
            catch (Exception e) when (e is IOException or UnauthorizedAccessException)
            {
                // ended meanwhile
            }
        }
        return null;
    }

    /// <summary>
    /// Gives the sandbox (whose namespace <paramref name="pid"/> is in) its veth, address and default route, and
    /// installs its egress rules. Idempotent: an existing veth is kept, the rule table is replaced atomically.
    /// </summary>
    public async Task AttachAsync(int pid, NetworkSlot slot, EgressRules rules, CancellationToken ct)
    {
        await EnsureHostTableAsync(ct);
        var ns = $"--net=/proc/{pid}/ns/net";
        // Rules first, so that the link never comes up without them.
        await ApplyRulesAsync(pid, slot, rules, ct);
        var insideHasEth0 = (await RunAsync("nsenter", [ns, "ip", "-o", "link", "show", "eth0"], ct, check: false)).Code == 0;
        var hostHasIf = HostInterfaceExists(slot.HostIf);
        if (!insideHasEth0 || !hostHasIf)
        {
            // A half-made pair (a crash between steps) is removed and made again.
            if (hostHasIf) await RunAsync("ip", ["link", "del", slot.HostIf], ct, check: false);
            if (insideHasEth0) await RunAsync("nsenter", [ns, "ip", "link", "del", "eth0"], ct, check: false);
            await RunAsync("ip", ["link", "add", slot.HostIf, "type", "veth", "peer", "name", slot.PeerIf], ct);
            try
            {
                await RunAsync("ip", ["link", "set", slot.PeerIf, "netns", pid.ToString()], ct);
                await RunAsync("ip", ["addr", "add", $"{slot.Host}/30", "dev", slot.HostIf], ct);
                // Forwarding is decided per ingress interface: turned on for this server's own veth only, never host-wide.
                await File.WriteAllTextAsync($"/proc/sys/net/ipv4/conf/{slot.HostIf}/forwarding", "1", ct);
                // No IPv6 on either end (no link-local address that could be talked to); the rules reject IPv6 anyway.
                await DisableIpv6Async(slot.HostIf, ct);
                await RunAsync("ip", ["link", "set", slot.HostIf, "up"], ct);
                await RunAsync("nsenter", [ns, "ip", "link", "set", slot.PeerIf, "name", "eth0"], ct);
                await RunAsync("nsenter", [ns, "sh", "-c", DisableIpv6Inside], ct);
                await RunAsync("nsenter", [ns, "ip", "addr", "add", $"{slot.Sandbox}/30", "dev", "eth0"], ct);
                await RunAsync("nsenter", [ns, "ip", "link", "set", "eth0", "up"], ct);
                await RunAsync("nsenter", [ns, "ip", "route", "replace", "default", "via", slot.Host.ToString()], ct);
            }
            catch
            {
                await RunAsync("ip", ["link", "del", slot.HostIf], CancellationToken.None, check: false);
                throw;
            }
        }
        else
        {
            // Kept (a server restart): a pair made by an older server may still have IPv6 on.
            await DisableIpv6Async(slot.HostIf, ct);
            await RunAsync("nsenter", [ns, "sh", "-c", DisableIpv6Inside], ct);
        }
    }

    /// <summary>
    /// Replaces the egress table inside the sandbox's namespace in one nft transaction. The table is of family
    /// <c>inet</c>, so it sees IPv4 and IPv6 alike: IPv6 is rejected on every interface but <c>lo</c> under every
    /// policy (sandboxes get no IPv6), and a table of family <c>ip</c> left by an older server is removed in the same
    /// transaction. <paramref name="slot"/> is null for deny-all (no veth; everything but <c>lo</c> is rejected).
    /// </summary>
    public Task ApplyRulesAsync(int pid, NetworkSlot? slot, EgressRules rules, CancellationToken ct) =>
        RunAsync("nsenter", [$"--net=/proc/{pid}/ns/net", "nft", "-f", "-"], ct, stdin: RulesScript(slot, rules, slot is null ? [] : ServerPorts()));

    /// <summary>The nft script that replaces the table inside a sandbox's namespace (see <see cref="ApplyRulesAsync"/>).</summary>
    public static string RulesScript(NetworkSlot? slot, EgressRules rules, IReadOnlyList<int> serverPorts)
    {
        var allowAll = rules.AllowAll && slot is not null;
        var sb = new StringBuilder();
        // "table X" then "delete table X" removes the table whether or not it existed; all in one transaction.
        sb.Append($"table ip {InnerTable}\ndelete table ip {InnerTable}\n");
        sb.Append($"table inet {InnerTable}\ndelete table inet {InnerTable}\n");
        sb.Append($"table inet {InnerTable} {{\n  chain output {{\n    type filter hook output priority 0; policy {(allowAll ? "accept" : "drop")};\n");
        sb.Append("    oifname \"lo\" accept\n");
        // No IPv6 beyond the sandbox's own loopback, whatever the policy: not to the host end of the veth (link-local),
        // not to any address of the host, not anywhere else.
        sb.Append("    meta nfproto ipv6 reject with icmpx admin-prohibited\n");
        if (slot is not null && !rules.AllowServerPort)
        {
            var blocked = HostAddresses().Append(slot.Host.ToString()).Distinct().ToList();
            sb.Append($"    ip daddr {{ {string.Join(", ", blocked)} }} tcp dport {{ {string.Join(", ", serverPorts)} }} reject with tcp reset\n");
        }
        if (allowAll && rules.DenyCidrs is { Count: > 0 } denied)
        {
            // Before any accept of established traffic: a connection opened before the address was denied is cut too.
            sb.Append($"    ip daddr {{ {string.Join(", ", denied)} }} reject with icmpx admin-prohibited\n");
        }
        if (!allowAll)
        {
            sb.Append("    ct state established,related accept\n");
            if (slot is not null && rules.AllowCidrs.Count > 0) sb.Append($"    ip daddr {{ {string.Join(", ", rules.AllowCidrs)} }} accept\n");
            sb.Append("    reject with icmpx admin-prohibited\n");
        }
        sb.Append("  }\n}\n");
        return sb.ToString();
    }

    /// <summary>
    /// Removes the sandbox's veth (the peer goes with it), if the namespace still exists. The rule table stays (the
    /// caller replaces it, or it goes with the namespace): removing it first would open the link for a moment.
    /// </summary>
    public async Task DetachAsync(NetworkSlot slot, int? pid, CancellationToken ct)
    {
        if (pid is { } p) await RunAsync("nsenter", [$"--net=/proc/{p}/ns/net", "ip", "link", "del", "eth0"], ct, check: false);
        if (HostInterfaceExists(slot.HostIf)) await RunAsync("ip", ["link", "del", slot.HostIf], ct, check: false);
        if (HostInterfaceExists(slot.PeerIf)) await RunAsync("ip", ["link", "del", slot.PeerIf], ct, check: false);
    }

    /// <summary>Turns IPv6 off on a host interface (before it comes up, so it never gets a link-local address).</summary>
    private static async Task DisableIpv6Async(string ifName, CancellationToken ct)
    {
        var path = $"/proc/sys/net/ipv6/conf/{ifName}/disable_ipv6";
        if (File.Exists(path)) await File.WriteAllTextAsync(path, "1", ct); // absent when the kernel has no IPv6
    }

    /// <summary>
    /// Run inside the sandbox's namespace: IPv6 off on eth0 and on interfaces made later; lo keeps ::1 (programs that
    /// listen on or connect to localhost over IPv6 keep working). /proc/sys/net is per network namespace.
    /// </summary>
    private const string DisableIpv6Inside =
        "for c in default eth0; do f=/proc/sys/net/ipv6/conf/$c/disable_ipv6; if [ -e $f ]; then echo 1 > $f || exit 1; fi; done";

    /// <summary>Removes the server's host table (when no sandbox of this server has a network any more).</summary>
    public async Task RemoveHostTableAsync(CancellationToken ct)
    {
        lock (_hostTableLock) _hostTableReady = false;
        await RunAsync("nft", ["delete", "table", "ip", HostTable], ct, check: false);
    }

    private async Task EnsureHostTableAsync(CancellationToken ct)
    {
        lock (_hostTableLock)
            if (_hostTableReady) return;
        var range = _options.NetworkRange;
        // Replaced whole, so a restart never duplicates it.
        var script = $"""
            table ip {HostTable}
            delete table ip {HostTable}
            table ip {HostTable} {"{"}
              chain postrouting {"{"}
                type nat hook postrouting priority srcnat; policy accept;
                ip saddr {range} ip daddr != {range} masquerade
              {"}"}
            {"}"}

            """;
        await RunAsync("nft", ["-f", "-"], ct, stdin: script);
        if (File.Exists("/proc/sys/net/ipv4/ip_forward") && File.ReadAllText("/proc/sys/net/ipv4/ip_forward").Trim() == "0")
            _log.LogWarning("net.ipv4.ip_forward is 0: sandboxes reach the host's addresses, but answers from outside come back only over interfaces with forwarding on (the server does not change that setting)");
        lock (_hostTableLock) _hostTableReady = true;
    }

    /// <summary>The server's own ports, the API's and the data plane's: closed to sandboxes unless their policy opens them.</summary>
    private List<int> ServerPorts()
    {
        var dataPlane = _services.GetRequiredService<Api.Leap0.DataPlane>();
        return dataPlane.Enabled ? [ApiPort(), dataPlane.Port] : [ApiPort()];
    }

    /// <summary>The port the API listens on (the bound one when the option said 0).</summary>
    private int ApiPort()
    {
        if (_options.ListenPort != 0) return _options.ListenPort;
        var addresses = _services.GetService<Microsoft.AspNetCore.Hosting.Server.IServer>()?.Features
            .Get<Microsoft.AspNetCore.Hosting.Server.Features.IServerAddressesFeature>()?.Addresses ?? [];
        foreach (var a in addresses)
            if (Uri.TryCreate(a, UriKind.Absolute, out var uri) && uri.Scheme == Uri.UriSchemeHttp && uri.Port > 0) return uri.Port;
        throw new InvalidOperationException("the API port is not known yet");
    }

    private static bool HostInterfaceExists(string name) => Directory.Exists($"/sys/class/net/{name}");

    /// <summary>Host-side veth names of this server that exist now.</summary>
    public IEnumerable<string> HostInterfaces() =>
        Directory.Exists("/sys/class/net")
            ? Directory.EnumerateFileSystemEntries("/sys/class/net").Select(Path.GetFileName).OfType<string>().Where(n => n.StartsWith(HostIfPrefix, StringComparison.Ordinal))
            : [];

    private static IEnumerable<string> HostAddresses()
    {
        IEnumerable<string> list;
        try
        {
            list = NetworkInterface.GetAllNetworkInterfaces()
                .SelectMany(i => i.GetIPProperties().UnicastAddresses)
                .Where(a => a.Address.AddressFamily == AddressFamily.InterNetwork && !IPAddress.IsLoopback(a.Address))
                .Select(a => a.Address.ToString()).ToList();
        }
        catch (NetworkInformationException)
        {
            list = [];
        }
        return list;
    }

    private async Task<(int Code, string Output)> RunAsync(string file, string[] args, CancellationToken ct, bool check = true, string? stdin = null)
    {
        var psi = new ProcessStartInfo(file)
        {
            UseShellExecute = false,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            RedirectStandardInput = stdin is not null,
        };
        foreach (var a in args) psi.ArgumentList.Add(a);
        using var p = Process.Start(psi) ?? throw new InvalidOperationException($"could not start {file}");
        if (stdin is not null)
        {
            await p.StandardInput.WriteAsync(stdin);
            p.StandardInput.Close();
        }
        var stdout = p.StandardOutput.ReadToEndAsync(ct);
        var stderr = p.StandardError.ReadToEndAsync(ct);
        using var timeout = CancellationTokenSource.CreateLinkedTokenSource(ct);
        timeout.CancelAfter(TimeSpan.FromSeconds(20));
        try
        {
            await p.WaitForExitAsync(timeout.Token);
        }
        catch (OperationCanceledException)
        {
            p.Kill();
            throw new InvalidOperationException($"{file} {string.Join(' ', args)} did not finish in time");
        }
        var output = (await stdout) + (await stderr);
        if (check && p.ExitCode != 0)
            throw new InvalidOperationException($"{file} {string.Join(' ', args)} failed ({p.ExitCode}): {output.Trim()}");
        if (p.ExitCode != 0) _log.LogDebug("{File} {Args}: {Output}", file, string.Join(' ', args), output.Trim());
        return (p.ExitCode, output);
    }
}
