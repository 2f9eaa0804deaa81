using Sandbox.Client.Tests.Infrastructure;

namespace Sandbox.Client.Tests;

/// <summary>
/// network_policy through the client against the real local server. No traffic is sent: the tests check what the
/// server reports and which interfaces the sandbox has (the server tests check reachability).
/// </summary>
[Collection(ServerCollection.Name)]
public sealed class NetworkPolicyTests(ServerFixture fx)
{
    private SandboxClient Client => fx.Client;

    [Fact]
    public async Task Create_with_a_policy_and_change_it_on_a_running_sandbox()
    {
        var name = fx.NewName("netp");
        var created = (await Client.Sandboxes.CreateAsync(new CreateSandboxRequest
        {
            TemplateName = "base",
            Name = name,
            NetworkPolicy = SandboxNetworkPolicy.Create("custom", ["192.0.2.0/24"]),
        })).Sandbox;
        try
        {
            Assert.Equal(NetworkPolicyMode.Custom, created.NetworkPolicy?.Mode);
            Assert.Equal(["192.0.2.0/24"], created.NetworkPolicy!.AllowCidrs!);
            Assert.Contains("eth0", (await Client.Commands.RunAsync(name, new CommandRequest("ip -o link"))).Stdout);

            var denied = await Client.Sandboxes.SetNetworkPolicyAsync(name, SandboxNetworkPolicy.Create(NetworkPolicyMode.DenyAll));
            Assert.Equal(NetworkPolicyMode.DenyAll, denied.NetworkPolicy?.Mode);
            Assert.DoesNotContain("eth0", (await Client.Commands.RunAsync(name, new CommandRequest("ip -o link"))).Stdout);
            Assert.Equal(NetworkPolicyMode.DenyAll, (await Client.Sandboxes.GetAsync(name)).NetworkPolicy?.Mode);
        }
        finally
        {
            await Client.Sandboxes.DeleteAsync(name);
        }
    }

    [Fact]
    public async Task Default_is_deny_all_and_a_bad_cidr_is_a_validation_error()
    {
        var name = fx.NewName("netd");
        var created = (await Client.Sandboxes.CreateAsync(new CreateSandboxRequest { TemplateName = "base", Name = name })).Sandbox;
        try
        {
            Assert.Equal(NetworkPolicyMode.DenyAll, created.NetworkPolicy?.Mode);
            var bad = new SandboxNetworkPolicy { Mode = NetworkPolicyMode.Custom, AllowCidrs = ["10.0.0.0/33"] };
            var e = await Assert.ThrowsAsync<SandboxValidationException>(() => Client.Sandboxes.SetNetworkPolicyAsync(name, bad));
            Assert.Contains("allow_cidrs", e.Message + e.ResponseBody);
        }
        finally
        {
            await Client.Sandboxes.DeleteAsync(name);
        }
    }

    [Theory]
    [InlineData("open", null)]
    [InlineData("allow-all", "10.0.0.0/8")]
    public void Create_checks_mode_and_lists(string mode, string? cidr)
    {
        Assert.Throws<ArgumentException>(() => SandboxNetworkPolicy.Create(mode, cidr is null ? null : [cidr]));
    }

    [Fact]
    public void Create_normalises_and_drops_empty_lists()
    {
        var p = SandboxNetworkPolicy.Create("Allow-All");
        Assert.Equal("allow-all", p.Mode);
        Assert.Null(p.AllowCidrs);
        Assert.Throws<ArgumentException>(() => SandboxNetworkPolicy.Create("custom", Enumerable.Range(0, 11).Select(i => $"10.0.{i}.0/24")));
    }
}
