using System.Text.Json.Serialization;

namespace Sandbox.Client;

/// <summary>A warm pool: a number of ready sandboxes of a template, handed out by <c>POST /boxes</c> for that template.</summary>
public sealed class SandboxPool : SandboxResource, ISandboxTemplateReference
{
    /// <summary>The same as <see cref="SandboxResource.Name"/>, for pipeline binding to parameters named <c>PoolName</c>.</summary>
    [JsonIgnore]
    public string PoolName => Name;

    /// <summary>The template its sandboxes are made from.</summary>
    public string? TemplateName { get; set; }

    /// <summary>The desired number of ready sandboxes (0 pauses the pool).</summary>
    public int Replicas { get; set; }

    /// <summary>Sandboxes ready to hand out now (local server extension; null when the server does not say).</summary>
    public int? ReadyReplicas { get; set; }

    /// <summary>Sandboxes booting for the pool now (local server extension).</summary>
    public int? ProvisioningReplicas { get; set; }

    /// <summary>When it was created (UTC).</summary>
    public DateTimeOffset? CreatedAt { get; set; }

    /// <summary>When it last changed (UTC).</summary>
    public DateTimeOffset? UpdatedAt { get; set; }

    /// <summary>True when exactly as many sandboxes are ready as desired and none is booting (or the server does not report readiness).</summary>
    [JsonIgnore]
    public bool IsReady => ReadyReplicas is not { } ready || (ready == Replicas && ProvisioningReplicas is null or 0);

    /// <summary>The endpoint of the connection that returned it (set by the client; not on the wire).</summary>
    [JsonIgnore]
    public string? Endpoint { get; set; }
}

/// <summary>The body of <c>POST /pools</c>.</summary>
public sealed class CreatePoolRequest
{
    /// <summary>The name (lowercase letters, digits and hyphens).</summary>
    public string Name { get; set; } = "";

    /// <summary>A stateless template (no volume mounts).</summary>
    public string TemplateName { get; set; } = "";

    /// <summary>Ready sandboxes to keep (1-100).</summary>
    public int Replicas { get; set; } = 1;

    /// <summary>Whether the server answers only once every replica is ready (default true).</summary>
    public bool WaitForReady { get; set; } = true;

    /// <summary>Seconds the server waits (10-600); the server's default (60 on the local server) when null.</summary>
    public double? Timeout { get; set; }
}

/// <summary>The body of <c>PATCH /pools/{name}</c>: only the fields that are set are sent.</summary>
public sealed class UpdatePoolRequest
{
    /// <summary>A new name.</summary>
    public string? Name { get; set; }

    /// <summary>A new desired count (0-100; 0 pauses the pool, fewer ends the surplus).</summary>
    public int? Replicas { get; set; }
}
