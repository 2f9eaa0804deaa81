using Sandbox.Server.Services;
using Sandbox.Server.State;

namespace Sandbox.Server.Api;

/// <summary>
/// <c>/registries</c> and <c>/registries/{name}</c> (the current generation's registry credentials). No answer ever
/// carries the password (or the username): a registry is <c>{id, name, url, auth_type, created_at, updated_at}</c>.
/// </summary>
public static class RegistryEndpoints
{
    public static object Registry(RegistryRecord r) => new
    {
        id = r.Id,
        name = r.Name,
        url = r.Url,
        auth_type = RegistryService.AuthType,
        created_at = r.CreatedAt,
        updated_at = r.UpdatedAt,
    };

    public static void Map(RouteGroupBuilder api)
    {
        api.MapPost("/registries", async (HttpRequest req, RegistryService registries) =>
            Results.Json(Registry(registries.Create(Create(await JsonInput.ReadAsync(req)))), statusCode: 201));
        api.MapGet("/registries", (HttpRequest req, RegistryService registries) =>
        {
            var page = ListPaging.Read(req, defaultLimit: 50, maxLimit: 100);
            return Results.Json(page.Answer("registries", registries.List(page.Fetch, page.Offset, page.NameContains), Registry));
        });
        api.MapGet("/registries/{name}", (string name, RegistryService registries) => Results.Json(Registry(registries.Get(name))));
        api.MapPatch("/registries/{name}", async (string name, HttpRequest req, RegistryService registries) =>
        {
            var body = await JsonInput.ReadAsync(req);
            registries.Get(name); // 404 before the body's 422
            return Results.Json(Registry(registries.Update(name, Update(body))));
        });
        api.MapDelete("/registries/{name}", (string name, RegistryService registries) =>
        {
            registries.Delete(name);
            return Results.NoContent();
        });
    }

    private static CreateRegistryRequest Create(JsonInput body)
    {
        var name = body.Name("name", required: true);
        var url = Url(body, required: true);
        var username = Credential(body, "username", 255, required: true);
        var password = Credential(body, "password", 4096, required: true);
        AuthType(body);
        body.ThrowIfInvalidAsValueErrors();
        return new CreateRegistryRequest(name!, url!, username!, password!);
    }

    private static UpdateRegistryRequest Update(JsonInput body)
    {
        var name = body.Name("name");
        var url = Url(body, required: false);
        var username = Credential(body, "username", 255, required: false);
        var password = Credential(body, "password", 4096, required: false);
        AuthType(body);
        body.ThrowIfInvalidAsValueErrors();
        return new UpdateRegistryRequest(name, url, username, password);
    }

    /// <summary><c>auth_type</c>: only <c>DOCKER_CONFIG</c> (username and password); AWS roles are refused.</summary>
    private static void AuthType(JsonInput body)
    {
        var type = body.String("auth_type");
        if (type is not null && type != RegistryService.AuthType)
            body.Fail("auth_type", type == "AWS_ROLE"
                ? "AWS_ROLE is not supported by the local server (it has no AWS identity); give DOCKER_CONFIG with username and password"
                : $"must be {RegistryService.AuthType}");
        if (body.Has("aws_role_arn")) body.Fail("aws_role_arn", "AWS roles are not supported by the local server; omit aws_role_arn");
    }

    /// <summary>A registry address: <c>host[:port][/path]</c>, optionally with an http(s) scheme; no credentials, query or fragment.</summary>
    private static string? Url(JsonInput body, bool required)
    {
        var url = body.String("url", required);
        if (url is null) return null;
        var full = url.Contains("://", StringComparison.Ordinal) ? url : "https://" + url;
        if (url.Length > 2048 || url.Any(char.IsWhiteSpace) || url.Contains('\0')
            || !Uri.TryCreate(full, UriKind.Absolute, out var uri) || uri.Scheme is not ("https" or "http") || uri.Host.Length == 0
            || uri.UserInfo.Length > 0 || uri.Query.Length > 0 || uri.Fragment.Length > 0)
        {
            body.Fail("url", "must be a registry address such as ghcr.io or https://registry.example.com:5000/team, without credentials, query or fragment");
            return null;
        }
        return url;
    }

    private static string? Credential(JsonInput body, string field, int max, bool required)
    {
        var value = body.String(field, required);
        if (value is not null && (value.Length == 0 || value.Length > max || value.Any(char.IsControl)))
        {
            body.Fail(field, $"must be 1-{max} characters without control characters");
            return null;
        }
        return value;
    }
}
