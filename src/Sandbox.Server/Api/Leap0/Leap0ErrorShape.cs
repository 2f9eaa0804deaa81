using Sandbox.Server.Services;

namespace Sandbox.Server.Api.Leap0;

/// <summary>
/// leap0's errors: <c>{"message"}</c> (plus our stable <c>error</c> code), and 400 <c>{"message","errors":[{"field","error"}]}</c>
/// for a bad request. A request the sandbox's state refuses (not running, busy) is 409, as leap0 answers it.
/// </summary>
public sealed class Leap0ErrorShape : ErrorShape
{
    public static readonly Leap0ErrorShape Instance = new();
    public override int ValidationStatus => 400;

    public override object Error(string code, string message) => new { message, error = code };

    // leap0 answers every 400 as a ValidationErrorResponse: a refusal that names no field carries an empty list.
    public override object Error(int status, string code, string message) =>
        status == 400 ? new { message, error = code, errors = Array.Empty<object>() } : Error(code, message);

    public override object Validation(IReadOnlyList<ValidationIssue> issues) => new
    {
        message = "Invalid request: " + string.Join("; ", issues.Select(i => $"{FieldOf(i)}: {i.Msg}")),
        error = "ValidationError",
        errors = issues.Select(i => new { field = FieldOf(i), error = i.Msg }),
    };

    public override int StatusOf(DomainException e) => e is RejectedException { Code: "NotReady" } ? 409 : base.StatusOf(e);

    // ["body", "network_policy", "allow_cidrs", 0] -> "network_policy.allow_cidrs[0]"; a query parameter keeps its name.
    private static string FieldOf(ValidationIssue issue)
    {
        var parts = issue.Loc.Skip(issue.Loc.Count > 1 && issue.Loc[0] is "body" or "query" or "path" ? 1 : 0);
        var field = "";
        foreach (var p in parts)
            field += p is int or long ? $"[{p}]" : (field.Length == 0 ? $"{p}" : $".{p}");
        return field;
    }
}
