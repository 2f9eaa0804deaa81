namespace Sandbox.Server.Api;

/// <summary>An error answered as <c>{"detail": {"error": Type, "message": ...}}</c> with a status code.</summary>
public class ApiException(int status, string error, string message) : Exception(message)
{
    public int Status { get; } = status;
    public string Error { get; } = error;

    public static ApiException NotFound(string error, string message) => new(404, error, message);
    public static ApiException Conflict(string error, string message) => new(409, error, message);
    public static ApiException BadRequest(string error, string message) => new(400, error, message);
}

/// <summary>One problem with the request, FastAPI style: where it is, what is wrong, and a type tag.</summary>
public sealed record ValidationIssue(IReadOnlyList<object> Loc, string Msg, string Type);

/// <summary>422 with <c>{"detail": [{"loc", "msg", "type"}]}</c>.</summary>
public sealed class ValidationException(IReadOnlyList<ValidationIssue> issues)
    : ApiException(422, "ValidationError", string.Join("; ", issues.Select(i => $"{string.Join('.', i.Loc)}: {i.Msg}")))
{
    public IReadOnlyList<ValidationIssue> Issues { get; } = issues;

    public static ValidationException For(string[] loc, string msg, string type = "value_error") => new([new ValidationIssue(loc, msg, type)]);
}
