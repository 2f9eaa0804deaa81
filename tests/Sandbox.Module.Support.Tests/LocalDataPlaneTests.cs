using Sandbox.Module.Support;

namespace Sandbox.Module.Support.Tests;

/// <summary>
/// <see cref="LocalDataPlane.Read(string, out string?)"/>: the server's <c>data-plane.json</c> as Start-/Get-SandboxServer read
/// it. Missing is "no data plane" without a word; malformed is "no data plane" with the reason; never an exception.
/// </summary>
public sealed class LocalDataPlaneTests : IDisposable
{
    private readonly string _dir = Directory.CreateTempSubdirectory("sandbox-dataplane-").FullName;

    public void Dispose() => Directory.Delete(_dir, recursive: true);

    private void WriteFile(string text) => File.WriteAllText(Path.Combine(_dir, LocalDataPlane.FileName), text);

    [Fact]
    public void Reads_the_file_the_server_writes()
    {
        WriteFile("""{"domain":"sandbox.localhost:43127","ca_file":"/var/lib/sandbox/tls/ca.crt"}""" + "\n");
        var plane = LocalDataPlane.Read(_dir, out var problem);
        Assert.Null(problem);
        Assert.Equal(new LocalDataPlane("sandbox.localhost:43127", "/var/lib/sandbox/tls/ca.crt"), plane);
        Assert.Equal(plane, LocalDataPlane.Read(_dir));

        var info = new LocalServerInfo { Status = LocalServerStatus.Running, DataDirectory = _dir, DataPlane = plane };
        Assert.Equal("sandbox.localhost:43127", info.DataPlaneDomain);
        Assert.Equal("/var/lib/sandbox/tls/ca.crt", info.DataPlaneCertificateAuthority);
    }

    [Fact]
    public void A_missing_file_is_no_data_plane_and_no_problem()
    {
        Assert.Null(LocalDataPlane.Read(_dir, out var problem));
        Assert.Null(problem);
        Assert.Null(LocalDataPlane.Read(Path.Combine(_dir, "no-such-dir"), out problem));
        Assert.Null(problem);
        var info = new LocalServerInfo { Status = LocalServerStatus.Running, DataDirectory = _dir };
        Assert.Null(info.DataPlaneDomain);
        Assert.Null(info.DataPlaneCertificateAuthority);
    }

    [Theory]
    [InlineData("", "is not JSON")]
    [InlineData("{\"domain\": 42", "is not JSON")]
    [InlineData("[]", "is not {")]
    [InlineData("null", "is not {")]
    [InlineData("{}", "is not {")]
    [InlineData("""{"domain":"sandbox.localhost:1"}""", "is not {")]
    [InlineData("""{"ca_file":"/d/tls/ca.crt"}""", "is not {")]
    [InlineData("""{"domain":42,"ca_file":"/d/tls/ca.crt"}""", "is not {")]
    [InlineData("""{"domain":"","ca_file":"/d/tls/ca.crt"}""", "is not {")]
    [InlineData("""{"domain":"sandbox.localhost:1","ca_file":"relative/ca.crt"}""", "is not {")]
    [InlineData("""{"domain":"https://sandbox.localhost:1","ca_file":"/d/tls/ca.crt"}""", "is not {")]
    [InlineData("""{"domain":"sandbox.localhost:1/path","ca_file":"/d/tls/ca.crt"}""", "is not {")]
    [InlineData("""{"domain":"bad host:1","ca_file":"/d/tls/ca.crt"}""", "is not {")]
    public void A_malformed_file_is_no_data_plane_with_the_reason(string text, string reason)
    {
        WriteFile(text);
        Assert.Null(LocalDataPlane.Read(_dir, out var problem));
        Assert.NotNull(problem);
        Assert.Contains(Path.Combine(_dir, LocalDataPlane.FileName), problem);
        Assert.Contains(reason, problem);
        Assert.EndsWith("taken as no data plane", problem);
    }

    [Fact]
    public void A_directory_in_its_place_is_as_missing()
    {
        Directory.CreateDirectory(Path.Combine(_dir, LocalDataPlane.FileName));
        Assert.Null(LocalDataPlane.Read(_dir, out var problem));
        Assert.Null(problem); // not a file: as missing
    }
}
