namespace Sandbox.Client;

/// <summary>
/// Per-call settings, the optional last-but-one parameter of every call (the last is the <see cref="CancellationToken"/>).
/// Null means the defaults of <see cref="SandboxClientOptions"/>.
/// </summary>
public class SandboxRequestOptions
{
    /// <summary>
    /// The call's time-out; null for the call's default (<see cref="SandboxClientOptions.DefaultTimeout"/>, or longer where the
    /// server waits: creating with <c>WaitForReady</c>). For a wait (<c>WaitAsync</c>, <c>WaitForReadyAsync</c>), the deadline
    /// (<see cref="SandboxDefaults.WaitTimeout"/> by default); for a file transfer, none by default (cancel instead).
    /// </summary>
    public TimeSpan? Timeout { get; init; }

    /// <summary>Options with this time-out.</summary>
    public static SandboxRequestOptions WithTimeout(TimeSpan timeout) => new() { Timeout = timeout };
}

/// <summary>Options of a call that reports progress: a wait (each polled state) or a file transfer (the bytes so far).</summary>
/// <typeparam name="T">What is reported.</typeparam>
public sealed class SandboxProgressOptions<T> : SandboxRequestOptions
{
    /// <summary>Receives each report (for a progress bar).</summary>
    public IProgress<T>? Progress { get; init; }
}
