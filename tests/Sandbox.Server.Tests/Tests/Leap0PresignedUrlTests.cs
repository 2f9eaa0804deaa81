using Sandbox.Server.Tests.Infrastructure;

namespace Sandbox.Server.Tests.Tests;

/// <summary>leap0's presigned URLs on the real server: the URL opens the port without the API key until it is deleted; responses checked against leap0's OpenAPI.</summary>
[Collection(ServerCollection.Name)]
public sealed class Leap0PresignedUrlTests(ServerFixture fixture)
{
    private const string CreatePath = "/v1/sandbox/{sandboxID}/presigned-url", DeletePath = "/v1/sandbox/{sandboxID}/presigned-url/{id}";
    private ServerProcess S => fixture.Server;

    [Fact]
    public async Task A_presigned_url_opens_a_port_until_it_is_deleted()
    {
        using var http = Leap0Api.Client(S);
        var id = await http.CreateTrackedAsync(S);
        try
        {
            const int port = 8181;
            var exec = $"v1/sandbox/{id}/process/execute";
            (await http.L0PostAsync(exec, new { command = $"mkdir -p /home/user/site && echo presigned > /home/user/site/hi.txt && (setsid python3 -m http.server {port} --bind 127.0.0.1 --directory /home/user/site </dev/null >/tmp/web.log 2>&1 &)" })).Expect(200);
            var wait = (await http.L0PostAsync(exec, new { command = $"for i in $(seq 100); do python3 -c 'import socket; socket.create_connection((\"127.0.0.1\", {port}), 1)' 2>/dev/null && exit 0; sleep 0.1; done; cat /tmp/web.log; exit 1" })).Expect(200).Json;
            Assert.True(wait.GetProperty("exit_code").GetInt32() == 0, wait.ToString());

            var created = (await http.L0PostAsync($"v1/sandbox/{id}/presigned-url/", new { port, expires_in = 120 })).Expect(201).Conforms("POST", CreatePath).Json;
            Assert.Equal(id, created.Str("sandbox_id"));
            Assert.Equal(port, created.GetProperty("port").GetInt32());
            Assert.Contains(created.Str("token"), created.Str("url"));
            Assert.DoesNotContain(created.Str("token"), created.Str("id"));
            var expires = created.GetProperty("expires_at").GetDateTime();
            Assert.InRange((expires - created.GetProperty("created_at").GetDateTime()).TotalSeconds, 119, 121);

            // No API key: the token in the URL's host is the authority (leap0's https://<token>.<domain>, on the data plane).
            using var plane = new DataPlaneClient(S);
            var url = new Uri(created.Str("url"));
            Assert.Equal($"{created.Str("token")}.{plane.Domain}", url.Authority);
            Assert.Equal("presigned\n", (await plane.SendAsync(new Uri(url, "hi.txt"))).Expect(200).Text);

            (await http.L0DeleteAsync($"v1/sandbox/{id}/presigned-url/{created.Str("id")}/")).Expect(204).Conforms("DELETE", DeletePath);
            (await plane.SendAsync(new Uri(url, "hi.txt"))).ExpectLeap0Error(404);
            (await http.L0DeleteAsync($"v1/sandbox/{id}/presigned-url/{created.Str("id")}")).ExpectLeap0Error(404).Conforms("DELETE", DeletePath);
        }
        finally
        {
            (await http.L0DeleteAsync($"v1/sandbox/{id}")).Expect(204);
        }
    }

    [Fact]
    public async Task Refuses_bad_presigned_url_requests()
    {
        using var http = Leap0Api.Client(S);
        var id = await http.CreateTrackedAsync(S);
        try
        {
            var create = $"v1/sandbox/{id}/presigned-url";
            foreach (var (body, field) in new (object, string)[]
            {
                (new { }, "port"), (new { port = 0 }, "port"), (new { port = 65536 }, "port"), (new { port = "80" }, "port"),
                (new { port = 80, expires_in = 0 }, "expires_in"), (new { port = 80, expires_in = 86401 }, "expires_in"), (new { port = 80, expires_in = 1.5 }, "expires_in"),
            })
                (await http.L0PostAsync(create, body)).Conforms("POST", CreatePath).ExpectLeap0Field(field);
            (await http.L0PostAsync("v1/sandbox/no-such-id/presigned-url", new { port = 80 })).ExpectLeap0Error(404).Conforms("POST", CreatePath);
            (await http.L0DeleteAsync($"v1/sandbox/{id}/presigned-url/no-such-url")).ExpectLeap0Error(404).Conforms("DELETE", DeletePath);
            (await http.L0DeleteAsync("v1/sandbox/no-such-id/presigned-url/x")).ExpectLeap0Error(404).Conforms("DELETE", DeletePath);
            // A stopped sandbox: 400 saying to start it (the spec has no 409 here).
            (await http.L0PostAsync($"v1/sandbox/{id}/stop", null)).Expect(200);
            Assert.Contains("start", (await http.L0PostAsync(create, new { port = 80 })).ExpectLeap0Error(400).Conforms("POST", CreatePath).Json.Str("message"));
        }
        finally
        {
            (await http.L0DeleteAsync($"v1/sandbox/{id}")).Expect(204);
        }
    }
}
