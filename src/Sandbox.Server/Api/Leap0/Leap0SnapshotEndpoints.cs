using Sandbox.Server.Services;
using Sandbox.Server.State;

namespace Sandbox.Server.Api.Leap0;

/// <summary>
/// leap0's snapshots over the same <see cref="SnapshotService"/>: <c>POST /v1/sandbox/{id}/snapshot/create</c> (and the
/// older SDKs' <c>/snapshot/pause</c>, which ends the source), <c>POST /v1/snapshot/restore</c> (and the older
/// <c>/v1/snapshot/resume</c>), <c>GET /v1/snapshots</c>, <c>DELETE /v1/snapshot/{id}</c>. A snapshot is of the sandbox's
/// files (its own layer), not its memory: a restored sandbox boots afresh over them.
/// </summary>
public static class Leap0SnapshotEndpoints
{
    // leap0's snapshot keeps the source's cpu and memory; the local snapshot row has no such columns, so they ride in
    // its labels under these keys (visible as labels on the LangSmith routes).
    public const string VcpuLabel = "leap0.vcpu", MemoryLabel = "leap0.memory_mib";
    private const long MiB = 1L << 20;

    public static void Map(RouteGroupBuilder v1)
    {
        v1.MapPost("/sandbox/{id}/snapshot/create", (string id, HttpRequest req, SandboxManager m, SnapshotService s) => Create(id, req, m, s, endSource: null));
        v1.MapPost("/sandbox/{id}/snapshot/pause", (string id, HttpRequest req, SandboxManager m, SnapshotService s) => Create(id, req, m, s, endSource: true));
        v1.MapPost("/snapshot/restore", Restore);
        v1.MapPost("/snapshot/resume", Restore);
        v1.MapGet("/snapshots", List);
        v1.MapDelete("/snapshot/{id}", async (string id, SnapshotService snapshots) =>
        {
            await snapshots.DeleteAsync(snapshots.Get(id).Id);
            return Results.NoContent();
        });
    }

    /// <summary>
    /// <c>{name?, kill_sandbox_after?}</c> -> 201 once the snapshot is stored (leap0 answers a finished snapshot; the
    /// capture freezes a running source meanwhile). A name already taken is 409; <c>kill_sandbox_after</c> deletes the source.
    /// </summary>
    private static async Task<IResult> Create(string id, HttpRequest req, SandboxManager sandboxes, SnapshotService snapshots, bool? endSource)
    {
        var sandbox = sandboxes.GetById(id);
        var body = await JsonInput.ReadAsync(req, allowEmpty: true);
        var name = body.Name("name") ?? $"snap-{Guid.NewGuid():N}"[..13];
        var kill = body.Bool("kill_sandbox_after") ?? endSource ?? false;
        body.ThrowIfInvalid();
        if (snapshots.Find(name, asId: false) is not null)
            throw new ConflictException("SnapshotAlreadyExists", $"a snapshot named '{name}' already exists (DELETE /v1/snapshot/{{id}} it, or give another name)");
        if (sandbox.Status is not (SandboxStatus.Ready or SandboxStatus.Paused or SandboxStatus.Stopped))
            throw new ConflictException("InvalidState", $"sandbox '{id}' is {Leap0Json.State(sandbox.Status)}; snapshot it once it is running, paused or stopped");
        var labels = new Dictionary<string, string> { [VcpuLabel] = $"{sandbox.Vcpus}", [MemoryLabel] = $"{sandbox.MemBytes / MiB}" };
        var started = snapshots.Capture(sandboxes, sandbox.Name, new CaptureSnapshotRequest(name, SnapshotService.DefaultTag, labels));
        var done = await snapshots.WhenDoneAsync(started.Id);
        if (done.Status != SnapshotStatus.Ready)
            throw new ConflictException("SnapshotFailed", $"snapshot '{name}' of sandbox '{id}' failed: {done.StatusMessage}");
        if (kill) await sandboxes.DeleteAsync(sandboxes.GetById(id).Name);
        return Results.Json(Snapshot(done), statusCode: 201);
    }

    /// <summary>
    /// <c>{snapshot_name, timeout?, auto_pause?, network_policy?}</c> -> 201 a new sandbox (new id) from the snapshot's
    /// files, with the source's cpu and memory (a snapshot made on the LangSmith routes: its template's).
    /// </summary>
    private static async Task<IResult> Restore(HttpRequest req, SandboxManager sandboxes, SnapshotService snapshots)
    {
        var body = await JsonInput.ReadAsync(req);
        var name = body.String("snapshot_name", required: true);
        if (name is { Length: 0 }) body.Fail("snapshot_name", "must not be empty");
        var timeout = body.Integer("timeout", 1, Leap0Json.MaxTimeoutSeconds) ?? Leap0SandboxInput.DefaultTimeoutSeconds;
        var autoPause = body.Bool("auto_pause") ?? false;
        Leap0SandboxInput.RefuseTransforms(body);
        var network = NetworkPolicyInput.Read(body);
        body.ThrowIfInvalid();
        var snapshot = snapshots.Find(name!, asId: true) ?? throw new NotFoundException("SnapshotNotFound", $"no snapshot named '{name}' (GET /v1/snapshots lists them)");
        var request = new CreateSandboxRequest
        {
            SnapshotId = snapshot.Id,
            Vcpus = Label(snapshot, VcpuLabel),
            MemBytes = Label(snapshot, MemoryLabel) * MiB,
            TtlSeconds = timeout,
            AutoPause = autoPause,
            NetworkPolicy = network,
        };
        SandboxRecord record;
        try
        {
            (record, _) = await sandboxes.CreateAsync(request);
        }
        catch (RejectedException e) when (e.Code == "NotReady")
        {
            throw ValidationException.For(["body", "snapshot_name"], e.Message); // a snapshot still building (LangSmith routes)
        }
        return Results.Json(Leap0Json.Sandbox(sandboxes.GetById(record.Id), req), statusCode: 201);
    }

    private static long? Label(SnapshotRecord s, string key) => s.Labels.TryGetValue(key, out var v) && long.TryParse(v, out var n) ? n : null;

    /// <summary><c>GET /v1/snapshots?query=&amp;sort=created_at|template_id&amp;order-by=&amp;page=&amp;page-size=</c>; <c>query</c> is a part of the name.</summary>
    private static IResult List(HttpRequest req, SnapshotService snapshots)
    {
        var paging = Leap0Paging.Begin(req);
        var query = (string?)req.Query["query"];
        if (query is { Length: > 64 }) paging.Fail("query", "must be at most 64 characters (a part of the snapshot's name)");
        var sort = paging.Choice("sort", ["created_at", "template_id"]) ?? "created_at";
        paging.ThrowIfInvalid();
        var rows = snapshots.List(new SnapshotQuery(int.MaxValue, 0, query, null, "created_at", false));
        return Results.Json(sort == "template_id"
            ? paging.Answer(rows, TemplateId, r => r.Id, Snapshot)
            : paging.Answer(rows, r => r.CreatedAt, r => r.Id, Snapshot));
    }

    private static string TemplateId(SnapshotRecord s) => Leap0Json.TemplateId(s.TemplateName ?? s.DockerImage ?? "");

    /// <summary>leap0's snapshot: the source's cpu and memory (or 1 and the default for one made elsewhere), and its disk.</summary>
    public static object Snapshot(SnapshotRecord s) => new
    {
        id = s.Id,
        name = s.Name,
        template_id = TemplateId(s),
        vcpu = Label(s, VcpuLabel) ?? 1,
        memory = Label(s, MemoryLabel) ?? Leap0SandboxInput.DefaultMemoryMiB,
        disk = (s.FsCapacityBytes ?? Runtime.SandboxRuntime.DefaultFsCapacityBytes) / MiB,
        created_at = s.CreatedAt,
    };
}
