using Sandbox.Server.Services;

namespace Sandbox.Server.Api;

/// <summary>Reads snapshot bodies (<c>POST /boxes/{name}/snapshot</c>, <c>POST /snapshots</c>) (422 naming the field).</summary>
public static class SnapshotInput
{
    /// <summary>The snapshot's name; <c>checkpoint</c> is accepted and ignored: the local server captures the filesystem only.</summary>
    public static string Capture(JsonInput body)
    {
        var name = body.Name("name", required: true);
        body.ThrowIfInvalid();
        return name!;
    }

    public static ImportSnapshotRequest Import(JsonInput body)
    {
        var name = body.Name("name", required: true);
        var image = body.String("docker_image", required: true);
        var capacity = body.Integer("fs_capacity_bytes", Limits.MinMemoryBytes, long.MaxValue);
        body.ThrowIfInvalid();
        return new ImportSnapshotRequest(name!, image!, capacity);
    }
}
