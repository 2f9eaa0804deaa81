using System.Text;

namespace Sandbox.Server.Api;

/// <summary>
/// The query and answer of every list route, in both generations' shapes. Query: <c>page_size</c> or (older) <c>limit</c>,
/// <c>cursor</c> or (older) <c>offset</c>, <c>name_contains</c>, and for sorted lists <c>sort_order</c> or (older)
/// <c>sort_direction</c>. Answer: <c>items</c> and <c>next_cursor</c> (null on the last page) beside the older
/// <c>&lt;plural&gt;</c> (the same items) and <c>offset</c> (where the next page starts).
/// </summary>
public sealed class ListPaging
{
    private const string CursorPrefix = "offset:";
    private readonly HttpRequest _req;
    private readonly List<ValidationIssue> _issues = [];

    public int Limit { get; }
    public int Offset { get; }
    public string? NameContains { get; }

    private ListPaging(HttpRequest req, int defaultLimit, int maxLimit)
    {
        _req = req;
        Limit = Number("page_size", "limit", defaultLimit, 1, maxLimit);
        Offset = Number("cursor", "offset", 0, 0, int.MaxValue);
        NameContains = req.Query["name_contains"];
    }

    /// <summary>Reads the paging fields; problems are collected and thrown by <see cref="ThrowIfInvalid"/> (or <see cref="Read"/>).</summary>
    public static ListPaging Begin(HttpRequest req, int defaultLimit = 100, int maxLimit = 1000) => new(req, defaultLimit, maxLimit);

    /// <summary>The paging fields alone, 422 naming every bad one.</summary>
    public static ListPaging Read(HttpRequest req, int defaultLimit = 100, int maxLimit = 1000)
    {
        var paging = Begin(req, defaultLimit, maxLimit);
        paging.ThrowIfInvalid();
        return paging;
    }

    public void Fail(string key, string msg, string type = "value_error") => _issues.Add(new ValidationIssue(["query", key], msg, type));

    public void ThrowIfInvalid()
    {
        if (_issues.Count > 0) throw new ValidationException(_issues);
    }

    /// <summary>One of <paramref name="allowed"/> (or <paramref name="fallback"/> when absent), else a 422 naming the key.</summary>
    public string? Choice(string key, string[] allowed, string? fallback = null)
    {
        var value = (string?)_req.Query[key];
        if (value is null) return fallback;
        if (allowed.Contains(value)) return value;
        Fail(key, $"must be one of: {string.Join(", ", allowed)}", "enum");
        return fallback;
    }

    /// <summary><c>sort_order</c> or (older) <c>sort_direction</c>, <c>asc</c> or <c>desc</c>: true for descending.</summary>
    public bool Descending(bool fallback)
    {
        var order = Choice("sort_order", ["asc", "desc"]);
        var direction = Choice("sort_direction", ["asc", "desc"]);
        if (order is not null && direction is not null && order != direction)
            Fail("sort_order", "sort_order and sort_direction (its older name) disagree: give one");
        return (order ?? direction) is { } d ? d == "desc" : fallback;
    }

    /// <summary>
    /// Refuses a <c>created_by</c> this server cannot apply rather than ignoring it, and accepts <c>created_by=me</c>
    /// (everything was created with this server's one API key). Labels are filtered by <c>SnapshotInput.LabelFilters</c>.
    /// </summary>
    public void RefuseUnsupportedFilters()
    {
        if (_req.Query.TryGetValue("created_by", out var by) && by.ToString() != "me")
            Fail("created_by", "only 'me' is supported: the local server has one user, the holder of its API key", "not_supported");
    }

    /// <summary>
    /// The answer: <paramref name="rows"/> were fetched with <see cref="Fetch"/> (one more than a page), so a next page
    /// exists exactly when more than <see cref="Limit"/> came back.
    /// </summary>
    public Dictionary<string, object?> Answer<T>(string plural, IReadOnlyList<T> rows, Func<T, object> shape)
    {
        var items = rows.Take(Limit).Select(shape).ToList();
        var next = Offset + items.Count;
        return new Dictionary<string, object?>
        {
            ["items"] = items,
            ["next_cursor"] = rows.Count > Limit ? Cursor(next) : null,
            [plural] = items,
            ["offset"] = next,
        };
    }

    /// <summary>How many rows to ask the repository for: a page and one more, to know whether another page follows.</summary>
    public int Fetch => Limit + 1;

    /// <summary>An opaque cursor: base64url of the next page's offset (a stable position only while rows are not added before it).</summary>
    public static string Cursor(int offset) =>
        Convert.ToBase64String(Encoding.ASCII.GetBytes(CursorPrefix + offset)).TrimEnd('=').Replace('+', '-').Replace('/', '_');

    private static int? DecodeCursor(string text)
    {
        try
        {
            var b64 = text.Replace('-', '+').Replace('_', '/');
            var decoded = Encoding.ASCII.GetString(Convert.FromBase64String(b64.PadRight(b64.Length + (4 - b64.Length % 4) % 4, '=')));
            return decoded.StartsWith(CursorPrefix, StringComparison.Ordinal) && int.TryParse(decoded[CursorPrefix.Length..], out var o) && o >= 0 && Cursor(o) == text ? o : null;
        }
        catch (FormatException)
        {
            return null;
        }
    }

    /// <summary>A newer key or its older twin (both given must agree); <c>cursor</c>'s value is decoded, the others are integers.</summary>
    private int Number(string key, string older, int fallback, int min, int max)
    {
        int? Parse(string k)
        {
            var text = (string?)_req.Query[k];
            if (text is null) return null;
            if (k == "cursor")
            {
                if (DecodeCursor(text) is { } o) return o;
                Fail(k, "is not a cursor this server issued (pass next_cursor of the previous page as it is)");
                return null;
            }
            if (int.TryParse(text, out var value) && value >= min && value <= max) return value;
            Fail(k, $"must be a whole number from {min} to {max}", "int_parsing");
            return null;
        }
        var newer = Parse(key);
        var old = Parse(older);
        if (newer is not null && old is not null && newer != old) Fail(key, $"{key} and {older} (its older name) disagree: give one");
        return newer ?? old ?? fallback;
    }
}
