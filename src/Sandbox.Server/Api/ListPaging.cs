namespace Sandbox.Server.Api;

/// <summary>The query of every list route: <c>limit</c> 1-1000 (default 100), <c>offset</c> >= 0, <c>name_contains</c>.</summary>
public static class ListPaging
{
    public static (int Limit, int Offset, string? NameContains) Read(HttpRequest req)
    {
        var issues = new List<ValidationIssue>();
        int Read(string key, int fallback, int min, int max)
        {
            var text = (string?)req.Query[key];
            if (text is null) return fallback;
            if (!int.TryParse(text, out var value) || value < min || value > max)
            {
                issues.Add(new ValidationIssue(["query", key], $"must be a whole number from {min} to {max}", "int_parsing"));
                return fallback;
            }
            return value;
        }
        var limit = Read("limit", 100, 1, 1000);
        var offset = Read("offset", 0, 0, int.MaxValue);
        if (issues.Count > 0) throw new ValidationException(issues);
        return (limit, offset, req.Query["name_contains"]);
    }
}
