using System.Globalization;

namespace Sandbox.Bench;

internal sealed class Options
{
    public string Out { get; private set; } = "results.jsonl";
    public bool Quick { get; private set; }
    public string? Endpoint { get; private set; }
    public string? ApiKeyFile { get; private set; }
    public int? ServerPid { get; private set; }
    public string? ServerDll { get; private set; }
    /// <summary>The base seccomp profile, for the raw runc baseline's filter (the server's default).</summary>
    public string SeccompProfile { get; private set; } = "/usr/share/containers/seccomp.json";
    public int CreateIterations { get; private set; } = 30;
    public int ExecIterations { get; private set; } = 200;
    public int Warmup { get; private set; } = 10;
    public int IdleCount { get; private set; } = 100;
    public long StreamBytes { get; private set; } = 256L * 1024 * 1024;
    public int StreamReps { get; private set; } = 3;
    public int ClientIterations { get; private set; } = 1000;
    public long ClientStreamBytes { get; private set; } = 256L * 1024 * 1024;
    public HashSet<string> Phases { get; private set; } = [.. AllPhases];

    public static readonly string[] AllPhases = ["create", "exec", "stream", "idle", "client", "pool", "service", "resume", "leap0"];

    public const string Usage = """
        usage: dotnet run -c Release --project bench/Sandbox.Bench -- [options]
          --out FILE               JSON lines output (default results.jsonl)
          --quick                  fewer iterations (create 5, exec 30, idle 20, stream 1 rep, client stream 32 MiB)
          --endpoint URL           use a running server instead of starting one
          --api-key-file FILE      its key file (with --endpoint)
          --server-pid PID         its pid, for RSS (with --endpoint)
          --server-dll PATH        server build to start (default: the one built with the bench)
          --seccomp-profile FILE   base profile of the raw runc baseline's filter (default /usr/share/containers/seccomp.json)
          --create-iterations N    --exec-iterations N   --warmup N   --idle-count N
          --stream-bytes N         --stream-reps N
          --client-iterations N    GETs per side in the client phase (default 1000)
          --client-stream-bytes N  text streamed in the client phase (default 256 MiB)
          --only LIST              phases to run, comma separated: create,exec,stream,idle,client,pool,service,resume,leap0
                                   (leap0: /v1 process/execute vs /v2 execute of 'true' on one sandbox, --exec-iterations)
                                   (service: GET through a service URL vs the same GET inside the sandbox, --exec-iterations)
                                   (pool: create from a warm pool vs cold create vs raw, --create-iterations rounds)
        """;

    public static Options Parse(string[] args)
    {
        var o = new Options();
        var explicitCounts = new HashSet<string>();
        for (var i = 0; i < args.Length; i++)
        {
            string Next() => i + 1 < args.Length ? args[++i] : throw new ArgumentException($"{args[i]} needs a value");
            int NextInt(int min) => int.TryParse(Next(), NumberStyles.None, CultureInfo.InvariantCulture, out var v) && v >= min
                ? v : throw new ArgumentException($"{args[i - 1]} needs an integer >= {min}");
            var name = args[i];
            switch (name)
            {
                case "--out": o.Out = Next(); break;
                case "--quick": o.Quick = true; break;
                case "--endpoint": o.Endpoint = Next(); break;
                case "--api-key-file": o.ApiKeyFile = Next(); break;
                case "--server-pid": o.ServerPid = NextInt(1); break;
                case "--server-dll": o.ServerDll = Path.GetFullPath(Next()); break;
                case "--seccomp-profile": o.SeccompProfile = Path.GetFullPath(Next()); break;
                case "--create-iterations": o.CreateIterations = NextInt(1); explicitCounts.Add(name); break;
                case "--exec-iterations": o.ExecIterations = NextInt(1); explicitCounts.Add(name); break;
                case "--warmup": o.Warmup = NextInt(0); explicitCounts.Add(name); break;
                case "--idle-count": o.IdleCount = NextInt(1); explicitCounts.Add(name); break;
                case "--stream-reps": o.StreamReps = NextInt(1); explicitCounts.Add(name); break;
                case "--client-iterations": o.ClientIterations = NextInt(1); break;
                case "--client-stream-bytes":
                    o.ClientStreamBytes = long.TryParse(Next(), NumberStyles.None, CultureInfo.InvariantCulture, out var cb) && cb > 0 ? cb : throw new ArgumentException("--client-stream-bytes needs a positive integer");
                    explicitCounts.Add(name);
                    break;
                case "--stream-bytes":
                    o.StreamBytes = long.TryParse(Next(), NumberStyles.None, CultureInfo.InvariantCulture, out var b) && b > 0 ? b : throw new ArgumentException("--stream-bytes needs a positive integer");
                    break;
                case "--only":
                    o.Phases = Next().Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries).ToHashSet();
                    if (o.Phases.Except(AllPhases).FirstOrDefault() is { } bad) throw new ArgumentException($"unknown phase '{bad}'");
                    break;
                case "-h" or "--help": throw new ArgumentException("");
                default: throw new ArgumentException($"unknown option {name}");
            }
        }
        if ((o.Endpoint is null) != (o.ApiKeyFile is null)) throw new ArgumentException("--endpoint and --api-key-file go together");
        if (o.Quick)
        {
            if (!explicitCounts.Contains("--create-iterations")) o.CreateIterations = 5;
            if (!explicitCounts.Contains("--exec-iterations")) o.ExecIterations = 30;
            if (!explicitCounts.Contains("--warmup")) o.Warmup = 3;
            if (!explicitCounts.Contains("--idle-count")) o.IdleCount = 20;
            if (!explicitCounts.Contains("--stream-reps")) o.StreamReps = 1;
            if (!explicitCounts.Contains("--client-stream-bytes")) o.ClientStreamBytes = 32L * 1024 * 1024;
        }
        return o;
    }
}
