using System.Net;

namespace Sandbox.Client;

/// <summary>One problem listed by a 422 response: where (<see cref="Loc"/>), what (<see cref="Message"/>) and a type tag.</summary>
/// <param name="Loc">The location, e.g. <c>["body", "resources", "cpu"]</c>.</param>
/// <param name="Message">The problem, e.g. <c>must be one of: ...</c>.</param>
/// <param name="Type">A tag such as <c>int_type</c> or <c>missing</c>.</param>
public sealed record SandboxValidationIssue(IReadOnlyList<string> Loc, string Message, string? Type)
{
    /// <summary>The field the location names, without the <c>body</c>/<c>query</c>/<c>path</c> prefix, dotted: <c>resources.cpu</c>.</summary>
    public string? Field => SandboxErrorClassifier.FieldOf(Loc);
}

/// <summary>
/// Any failure of a sandbox API call. Subclasses say what kind; every instance carries the HTTP status (when there was a
/// response), the server's error type, the field a validation error names and the <c>Retry-After</c> delay.
/// </summary>
public class SandboxApiException : Exception
{
    /// <summary>Creates the exception.</summary>
    /// <param name="message">The message shown to the user.</param>
    /// <param name="statusCode">The HTTP status, or null when no response arrived.</param>
    /// <param name="errorType">The server's error type (<c>detail.error</c>, or a WebSocket <c>error_type</c>).</param>
    /// <param name="innerException">The underlying failure.</param>
    public SandboxApiException(string message, int? statusCode = null, string? errorType = null, Exception? innerException = null)
        : base(message, innerException)
    {
        StatusCode = statusCode;
        ErrorType = errorType;
    }

    /// <summary>The HTTP status code, or null when no response was received (connection failures, client time-outs, WebSocket errors).</summary>
    public int? StatusCode { get; }

    /// <summary>The server's error type, e.g. <c>SandboxNotFound</c>, <c>TemplateInUse</c>, <c>CommandTimeout</c>.</summary>
    public string? ErrorType { get; }

    /// <summary>The field at fault (validation errors), e.g. <c>name</c> or <c>resources.cpu</c>.</summary>
    public string? Field { get; internal set; }

    /// <summary>All issues of a 422 response.</summary>
    public IReadOnlyList<SandboxValidationIssue> ValidationIssues { get; internal set; } = [];

    /// <summary>The server's <c>Retry-After</c> delay, when it sent one.</summary>
    public TimeSpan? RetryAfter { get; internal set; }

    /// <summary>The raw response body (at most 64 KiB), for error reports.</summary>
    public string? ResponseBody { get; internal set; }

    /// <summary>The request's method, e.g. <c>GET</c>.</summary>
    public string? Method { get; internal set; }

    /// <summary>The request's URL.</summary>
    public Uri? RequestUri { get; internal set; }

    /// <summary>The name of the sandbox, template or path the call was about, for error reports.</summary>
    public string? TargetName { get; protected internal set; }

    /// <summary>
    /// What the failure is about, from the server's error type: <c>sandbox</c>, <c>template</c>, <c>pool</c>, <c>volume</c>,
    /// <c>snapshot</c>, <c>registry</c>, <c>file</c> or <c>command</c>; null when the server did not say.
    /// </summary>
    public string? ResourceType => ErrorType switch
    {
        "SandboxNotFound" or "SandboxAlreadyExists" or "NotReady" or "SandboxFailed" or "SandboxTimeout" => "sandbox",
        "TemplateNotFound" or "TemplateAlreadyExists" or "TemplateInUse" or "TemplateNotSupported" => "template",
        "PoolNotFound" or "PoolAlreadyExists" or "PoolNotSupported" => "pool",
        "VolumeNotFound" or "VolumeAlreadyExists" or "VolumeInUse" or "VolumeNotSupported" => "volume",
        "SnapshotNotFound" or "SnapshotAlreadyExists" or "SnapshotFailed" => "snapshot",
        "RegistryNotFound" or "RegistryAlreadyExists" => "registry",
        "NotFound" or "PermissionDenied" or "IsADirectory" or "NotARegularFile" or "PayloadTooLarge" => "file",
        "CommandNotFound" or "SessionExpired" or "CommandTimeout" or "CommandIdInUse" or "OutputLost" => "command",
        _ => null,
    };

    /// <summary>How many times the request was retried before this failure.</summary>
    public int Retries { get; internal set; }

    internal void SetDetails(string? body, TimeSpan? retryAfter, string? method, Uri? uri, string? target, int retries, IReadOnlyList<SandboxValidationIssue> issues)
    {
        if (body is not null) ResponseBody = body.Length > 65536 ? body[..65536] : body;
        RetryAfter ??= retryAfter;
        Method ??= method;
        RequestUri ??= uri;
        TargetName ??= target;
        Retries = retries;
        if (issues.Count > 0)
        {
            ValidationIssues = issues;
            Field ??= issues[0].Field;
        }
    }

    /// <summary>True for failures that a later attempt may not repeat (5xx, connection failures, rate limits).</summary>
    public virtual bool IsTransient => StatusCode is 429 or 502 or 503 or 504;
}

/// <summary>404: the sandbox, template, file or command session does not exist (also 400 <c>TemplateNotFound</c>/<c>CommandNotFound</c>).</summary>
public class SandboxNotFoundException(string message, int? statusCode = 404, string? errorType = null, Exception? innerException = null)
    : SandboxApiException(message, statusCode, errorType, innerException);

/// <summary>409: the name is taken.</summary>
public class SandboxNameConflictException(string message, int? statusCode = 409, string? errorType = null, Exception? innerException = null)
    : SandboxApiException(message, statusCode, errorType, innerException);

/// <summary>409: the resource is in use (e.g. a template that sandboxes still use).</summary>
public class SandboxResourceInUseException(string message, int? statusCode = 409, string? errorType = null, Exception? innerException = null)
    : SandboxApiException(message, statusCode, errorType, innerException);

/// <summary>400 or 422: the request is invalid; <see cref="SandboxApiException.Field"/> names the field.</summary>
public class SandboxValidationException(string message, int? statusCode = 422, string? errorType = null, Exception? innerException = null)
    : SandboxApiException(message, statusCode, errorType, innerException);

/// <summary>400 <c>NotSupported</c>: the server does not support what was asked (e.g. volume mounts on the local server).</summary>
public class SandboxNotSupportedException(string message, int? statusCode = 400, string? errorType = "NotSupported", Exception? innerException = null)
    : SandboxApiException(message, statusCode, errorType, innerException);

/// <summary>429: a quota or rate limit; <see cref="SandboxApiException.RetryAfter"/> says when to try again.</summary>
public class SandboxQuotaExceededException(string message, int? statusCode = 429, string? errorType = null, Exception? innerException = null)
    : SandboxApiException(message, statusCode, errorType, innerException);

/// <summary>401 or 403: the API key is missing or wrong.</summary>
public class SandboxAuthenticationException(string message, int? statusCode = 401, string? errorType = null, Exception? innerException = null)
    : SandboxApiException(message, statusCode, errorType, innerException);

/// <summary>408 or 504, or the client's own time-out: the operation did not finish in time.</summary>
public class SandboxTimeoutException(string message, int? statusCode = null, string? errorType = null, Exception? innerException = null)
    : SandboxApiException(message, statusCode, errorType, innerException)
{
    /// <inheritdoc />
    public override bool IsTransient => true;
}

/// <summary>A command ran past its time-out and was killed (408 <c>CommandTimeout</c> or a WebSocket error frame).</summary>
public class SandboxCommandTimeoutException(string message, int? statusCode = null, string? errorType = "CommandTimeout", Exception? innerException = null)
    : SandboxTimeoutException(message, statusCode, errorType, innerException)
{
    /// <inheritdoc />
    public override bool IsTransient => false;

    /// <summary>What the command wrote before it was killed, when it ran as a session (null for a buffered <c>POST /execute</c>, which answers no output on a time-out).</summary>
    public CommandResult? PartialResult { get; internal set; }
}

/// <summary>No response: connection refused or reset, DNS failure, TLS failure.</summary>
public class SandboxConnectionException(string message, Exception? innerException = null)
    : SandboxApiException(message, null, "ConnectionFailed", innerException)
{
    /// <inheritdoc />
    public override bool IsTransient => true;
}

/// <summary>A sandbox reached <c>failed</c> while it was awaited.</summary>
public class SandboxFailedException(string message, string? sandboxName)
    : SandboxApiException(message, null, "SandboxFailed")
{
    /// <summary>The sandbox that failed.</summary>
    public string? SandboxName { get; } = sandboxName;
}

/// <summary>Turns responses and transport failures into the typed exceptions; pure, so that it is tested without a server.</summary>
public static class SandboxErrorClassifier
{
    /// <summary>
    /// Builds the exception for an error response.
    /// </summary>
    /// <param name="statusCode">The HTTP status.</param>
    /// <param name="body">The response body (JSON error shapes of the wire API, or anything else).</param>
    /// <param name="retryAfter">The parsed <c>Retry-After</c>.</param>
    /// <param name="method">The request method.</param>
    /// <param name="requestUri">The request URL.</param>
    /// <param name="targetName">What the call was about (sandbox name, template name, path).</param>
    /// <param name="retries">How many retries preceded this response.</param>
    public static SandboxApiException FromResponse(int statusCode, string? body, TimeSpan? retryAfter = null, string? method = null, Uri? requestUri = null, string? targetName = null, int retries = 0)
    {
        var (errorType, message, issues) = ParseBody(body);
        var where = method is null ? "" : $" ({method} {requestUri?.AbsolutePath})";
        message = string.IsNullOrWhiteSpace(message) ? DefaultMessage(statusCode) : message!;
        var ex = Create(statusCode, errorType, message + where, null);
        return Decorate(ex, body, retryAfter, method, requestUri, targetName, retries, issues);
    }

    /// <summary>Builds the exception for an error reported in a WebSocket <c>error</c> frame (no HTTP status).</summary>
    public static SandboxApiException FromErrorFrame(string? errorType, string? message, string? targetName = null)
    {
        var ex = Create(null, errorType, string.IsNullOrWhiteSpace(message) ? $"the command failed: {errorType}" : message!, null);
        return Decorate(ex, null, null, null, null, targetName, 0, []);
    }

    /// <summary>The field a 422 location names: <c>["body","resources","cpu"]</c> gives <c>resources.cpu</c>; <c>["body"]</c> gives null.</summary>
    public static string? FieldOf(IReadOnlyList<string> loc)
    {
        var parts = loc.SkipWhile((p, i) => i == 0 && p is "body" or "query" or "path" or "header").ToList();
        return parts.Count == 0 ? null : string.Join(".", parts);
    }

    /// <summary>Parses a <c>Retry-After</c> value: delta-seconds or an HTTP date (relative to <paramref name="now"/>).</summary>
    public static TimeSpan? ParseRetryAfter(string? value, DateTimeOffset? now = null)
    {
        if (string.IsNullOrWhiteSpace(value)) return null;
        value = value.Trim();
        if (double.TryParse(value, System.Globalization.NumberStyles.Float, System.Globalization.CultureInfo.InvariantCulture, out var seconds))
            return seconds < 0 ? TimeSpan.Zero : TimeSpan.FromSeconds(Math.Min(seconds, 24 * 3600));
        if (DateTimeOffset.TryParse(value, System.Globalization.CultureInfo.InvariantCulture, System.Globalization.DateTimeStyles.AssumeUniversal, out var date))
        {
            var delta = date - (now ?? DateTimeOffset.UtcNow);
            return delta < TimeSpan.Zero ? TimeSpan.Zero : delta;
        }
        return null;
    }

    private static SandboxApiException Create(int? status, string? errorType, string message, Exception? inner)
    {
        // The error type decides first (it is the same over HTTP and WebSocket), then the status.
        switch (errorType)
        {
            case "CommandTimeout":
                return new SandboxCommandTimeoutException(message, status, errorType, inner);
            case "NotSupported":
                return new SandboxNotSupportedException(message, status, errorType, inner);
            case "SandboxNotFound" or "TemplateNotFound" or "CommandNotFound" or "SessionExpired" or "NotFound" or "PoolNotFound" or "VolumeNotFound" or "SnapshotNotFound" or "RegistryNotFound":
                return new SandboxNotFoundException(message, status, errorType, inner);
            case "SandboxAlreadyExists" or "TemplateAlreadyExists" or "AlreadyExists" or "NameConflict" or "PoolAlreadyExists" or "VolumeAlreadyExists" or "SnapshotAlreadyExists" or "RegistryAlreadyExists":
                return new SandboxNameConflictException(message, status, errorType, inner);
            case "TemplateInUse" or "ResourceInUse" or "InUse" or "CommandIdInUse" or "VolumeInUse":
                return new SandboxResourceInUseException(message, status, errorType, inner);
            case "SandboxTimeout" or "Timeout":
                return new SandboxTimeoutException(message, status, errorType, inner);
            case "QuotaExceeded" or "RateLimited" or "TooManyRequests":
                return new SandboxQuotaExceededException(message, status, errorType, inner);
            case "Unauthorized" or "Forbidden":
                return new SandboxAuthenticationException(message, status, errorType, inner);
            case "ValidationError" or "InvalidWorkingDirectory" or "IsADirectory" or "NotARegularFile" or "ResizeError" or "WebSocketRequired":
                return new SandboxValidationException(message, status, errorType, inner);
        }
        return status switch
        {
            // leap0 answers a sandbox that is not running, or a pause/stop/start from the wrong state, with 409: not a name
            // conflict, the same kind as LangSmith's 400 NotReady.
            409 when errorType is "NotReady" or "InvalidState" => new SandboxApiException(message, status, errorType, inner),
            404 => new SandboxNotFoundException(message, status, errorType, inner),
            409 when errorType is not null && errorType.Contains("InUse", StringComparison.OrdinalIgnoreCase) => new SandboxResourceInUseException(message, status, errorType, inner),
            409 when message.Contains("in use", StringComparison.OrdinalIgnoreCase) => new SandboxResourceInUseException(message, status, errorType, inner),
            409 => new SandboxNameConflictException(message, status, errorType, inner),
            422 => new SandboxValidationException(message, status, errorType ?? "ValidationError", inner),
            400 when errorType is null or "BadRequest" => new SandboxValidationException(message, status, errorType, inner),
            429 => new SandboxQuotaExceededException(message, status, errorType, inner),
            401 => new SandboxAuthenticationException(message, status, errorType, inner),
            403 when errorType is not "PermissionDenied" => new SandboxAuthenticationException(message, status, errorType, inner),
            408 or 504 => new SandboxTimeoutException(message, status, errorType, inner),
            _ => new SandboxApiException(message, status, errorType, inner),
        };
    }

    private static SandboxApiException Decorate(SandboxApiException ex, string? body, TimeSpan? retryAfter, string? method, Uri? uri, string? target, int retries, IReadOnlyList<SandboxValidationIssue> issues)
    {
        ex.SetDetails(body, retryAfter, method, uri, target, retries, issues);
        return ex;
    }

    private static (string? ErrorType, string? Message, IReadOnlyList<SandboxValidationIssue> Issues) ParseBody(string? body)
    {
        if (string.IsNullOrWhiteSpace(body)) return (null, null, []);
        try
        {
            using var doc = System.Text.Json.JsonDocument.Parse(body);
            var root = doc.RootElement;
            if (root.ValueKind != System.Text.Json.JsonValueKind.Object) return (null, Truncate(body), []);
            if (!root.TryGetProperty("detail", out var detail))
            {
                // Other shapes: {"error": "...", "message": "..."}, and leap0's 400 {"message", "errors": [{"field", "error"}]}.
                var fieldIssues = new List<SandboxValidationIssue>();
                if (root.TryGetProperty("errors", out var errors) && errors.ValueKind == System.Text.Json.JsonValueKind.Array)
                    foreach (var item in errors.EnumerateArray())
                        if (item.ValueKind == System.Text.Json.JsonValueKind.Object)
                            fieldIssues.Add(new SandboxValidationIssue(Str(item, "field") is { Length: > 0 } f ? ["body", f] : [], Str(item, "error") ?? "invalid", null));
                return (Str(root, "error") ?? (fieldIssues.Count > 0 ? "ValidationError" : null), Str(root, "message") ?? Str(root, "error"), fieldIssues);
            }
            switch (detail.ValueKind)
            {
                case System.Text.Json.JsonValueKind.Object:
                    return (Str(detail, "error") ?? Str(detail, "type"), Str(detail, "message") ?? Str(detail, "msg"), []);
                case System.Text.Json.JsonValueKind.String:
                    return (null, detail.GetString(), []);
                case System.Text.Json.JsonValueKind.Array:
                    var issues = new List<SandboxValidationIssue>();
                    foreach (var item in detail.EnumerateArray())
                    {
                        if (item.ValueKind != System.Text.Json.JsonValueKind.Object) continue;
                        var loc = new List<string>();
                        if (item.TryGetProperty("loc", out var l) && l.ValueKind == System.Text.Json.JsonValueKind.Array)
                            foreach (var p in l.EnumerateArray()) loc.Add(p.ValueKind == System.Text.Json.JsonValueKind.String ? p.GetString()! : p.GetRawText());
                        issues.Add(new SandboxValidationIssue(loc, Str(item, "msg") ?? "invalid", Str(item, "type")));
                    }
                    var text = string.Join("; ", issues.Select(i => i.Field is null ? i.Message : $"{i.Field}: {i.Message}"));
                    return ("ValidationError", text, issues);
            }
        }
        catch (System.Text.Json.JsonException)
        {
        }
        return (null, Truncate(body), []);
    }

    private static string? Str(System.Text.Json.JsonElement e, string name) =>
        e.TryGetProperty(name, out var v) && v.ValueKind == System.Text.Json.JsonValueKind.String ? v.GetString() : null;

    private static string Truncate(string s) => s.Length <= 500 ? s.Trim() : s[..500].Trim() + "...";

    private static string DefaultMessage(int status) => status switch
    {
        400 => "the request was rejected (400 Bad Request)",
        401 => "no API key was sent or it was not accepted (401 Unauthorized)",
        403 => "the API key was refused (403 Forbidden)",
        404 => "not found (404)",
        408 => "the operation did not finish in time (408)",
        409 => "conflict (409)",
        422 => "the request is invalid (422)",
        429 => "too many requests or quota exceeded (429)",
        502 => "the server could not reach the sandbox (502 Bad Gateway)",
        503 => "the service is unavailable (503)",
        504 => "the server timed out (504)",
        _ => $"the server answered {status} {(HttpStatusCode)status}",
    };
}
