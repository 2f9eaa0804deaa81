using System.Diagnostics;

namespace Sandbox.Client;

/// <summary>
/// A trace of every HTTP attempt the clients make in the current async flow: method, URL, status (or the failure), time
/// and retry number; never a header, so never the API key. The module sets <see cref="Sink"/> for a cmdlet run with
/// <c>-Debug</c> and writes the lines to the debug stream; it flows with the <see cref="ExecutionContext"/>, so calls
/// of other callers sharing the same client are not traced into it.
/// </summary>
public static class SandboxHttpTrace
{
    private static readonly AsyncLocal<Action<string>?> Current = new();

    /// <summary>Receives one line per HTTP attempt made from this flow from now on; null stops the trace.</summary>
    public static Action<string>? Sink
    {
        get => Current.Value;
        set => Current.Value = value;
    }

    internal static string Line(HttpRequestMessage request, int attempt, string outcome, long startedTimestamp)
    {
        var ms = Stopwatch.GetElapsedTime(startedTimestamp).TotalMilliseconds;
        var retry = attempt > 0 ? $" (retry {attempt})" : "";
        return $"HTTP {request.Method} {request.RequestUri} -> {outcome} in {ms:0} ms{retry}";
    }
}
