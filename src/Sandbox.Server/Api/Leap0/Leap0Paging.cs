namespace Sandbox.Server.Api.Leap0;

/// <summary>
/// leap0's list query: <c>sort</c>, <c>order-by</c> (<c>asc</c>/<c>desc</c>, default desc), <c>page</c> (1-based) and
/// <c>page-size</c> (1-100, default 20), answered as <c>{items, total_items}</c>. Lists are sorted and paged in memory
/// (a local server holds few rows, and <c>total_items</c> needs the whole match anyway). Every bad value is a 400
/// naming its field and the values allowed.
/// </summary>
public sealed class Leap0Paging
{
    public const int DefaultPageSize = 20, MaxPageSize = 100;
    private readonly HttpRequest _req;
    private readonly List<ValidationIssue> _issues = [];

    public int Page { get; }
    public int PageSize { get; }
    public bool Descending { get; }

    private Leap0Paging(HttpRequest req)
    {
        _req = req;
        Page = Number("page", 1, 1, int.MaxValue);
        PageSize = Number("page-size", DefaultPageSize, 1, MaxPageSize);
        Descending = Choice("order-by", ["asc", "desc"]) is not "asc";
    }

    public static Leap0Paging Begin(HttpRequest req) => new(req);

    /// <summary>One of <paramref name="allowed"/> (null when absent), else a 400 naming the field and the values allowed.</summary>
    public string? Choice(string key, string[] allowed)
    {
        var value = (string?)_req.Query[key];
        if (value is null || allowed.Contains(value)) return value;
        Fail(key, $"must be one of: {string.Join(", ", allowed)}", "enum");
        return null;
    }

    public void Fail(string key, string msg, string type = "value_error") => _issues.Add(new ValidationIssue(["query", key], msg, type));

    public void ThrowIfInvalid()
    {
        if (_issues.Count > 0) throw new ValidationException(_issues);
    }

    /// <summary>The page of <paramref name="rows"/> ordered by <paramref name="key"/> (ties by <paramref name="tie"/>), with the total.</summary>
    public object Answer<T, TKey>(IEnumerable<T> rows, Func<T, TKey> key, Func<T, string> tie, Func<T, object> shape)
    {
        ThrowIfInvalid();
        var ordered = Descending
            ? rows.OrderByDescending(key).ThenByDescending(tie, StringComparer.Ordinal)
            : rows.OrderBy(key).ThenBy(tie, StringComparer.Ordinal);
        var all = ordered.ToList();
        var skip = (long)(Page - 1) * PageSize;
        var items = skip >= all.Count ? [] : all.Skip((int)skip).Take(PageSize).Select(shape).ToList();
        return new { items, total_items = all.Count };
    }

    private int Number(string key, int fallback, int min, int max)
    {
        var text = (string?)_req.Query[key];
        if (text is null) return fallback;
        if (int.TryParse(text, System.Globalization.NumberStyles.None, System.Globalization.CultureInfo.InvariantCulture, out var value) && value >= min && value <= max) return value;
        Fail(key, max == int.MaxValue ? $"must be a whole number from {min}" : $"must be a whole number from {min} to {max}", "int_parsing");
        return fallback;
    }
}
