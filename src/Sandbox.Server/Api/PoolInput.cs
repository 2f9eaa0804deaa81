using Sandbox.Server.Services;

namespace Sandbox.Server.Api;

/// <summary>Reads pool bodies (<c>POST/PATCH /pools</c>) into typed requests (422 naming the field).</summary>
public static class PoolInput
{
    public static CreatePoolRequest Create(JsonInput body)
    {
        var name = body.Name("name", required: true);
        var templateName = body.String("template_name", required: true);
        var replicas = body.Integer("replicas", 1, 100, required: true);
        body.ThrowIfInvalid();
        return new CreatePoolRequest(name!, templateName!, (int)replicas!.Value);
    }

    public static UpdatePoolRequest Update(JsonInput body)
    {
        var newName = body.Name("name");
        var replicas = body.Integer("replicas", 0, 100);
        body.ThrowIfInvalid();
        return new UpdatePoolRequest(newName, replicas is { } r ? (int)r : null);
    }
}
