using System.Text.Json;
using System.Text.RegularExpressions;

namespace Sandbox.Server.Api;

/// <summary>
/// Reads a JSON object body field by field, collecting every problem with its location, so that
/// one 422 names all the bad fields. Unknown fields are ignored.
/// </summary>
public sealed partial class JsonInput
{
    public const int MaxBodyBytes = 1024 * 1024;
    private readonly JsonElement _root;
    private readonly List<ValidationIssue> _issues;
    private readonly string[] _prefix;

    // A nested reader shares its parent's list, so one 422 names every bad field.
    private JsonInput(JsonElement root, string[] prefix, List<ValidationIssue>? issues = null)
    {
        _root = root;
        _prefix = prefix;
        _issues = issues ?? [];
    }

    [GeneratedRegex("^[a-z0-9]([a-z0-9-]*[a-z0-9])?$")]
    private static partial Regex NamePattern();

    [GeneratedRegex("^[A-Za-z_][A-Za-z0-9_]*$")]
    private static partial Regex EnvKeyPattern();

    public static async Task<JsonInput> ReadAsync(HttpRequest request, bool allowEmpty = false)
    {
        if (request.ContentLength > MaxBodyBytes) throw TooLarge();
        var buffer = new MemoryStream();
        var chunk = new byte[16384];
        int n;
        while ((n = await request.Body.ReadAsync(chunk, request.HttpContext.RequestAborted)) > 0)
        {
            buffer.Write(chunk, 0, n);
            if (buffer.Length > MaxBodyBytes) throw TooLarge();
        }
        if (buffer.Length == 0 && allowEmpty) return new JsonInput(JsonDocument.Parse("{}").RootElement, ["body"]);
        var root = ParseChecked(buffer.GetBuffer().AsMemory(0, (int)buffer.Length), ["body"]);
        if (root.ValueKind != JsonValueKind.Object)
            throw ValidationException.For(["body"], "body must be a JSON object", "dict_type");
        return new JsonInput(root, ["body"]);
    }

    /// <summary>Reads a JSON object that arrived some other way (a WebSocket frame), located under <paramref name="loc"/>.</summary>
    public static JsonInput FromElement(JsonElement element, string loc)
    {
        if (element.ValueKind != JsonValueKind.Object) throw ValidationException.For([loc], "frame must be a JSON object", "dict_type");
        return new JsonInput(element, [loc]);
    }

    private static ApiException TooLarge() => new(413, "PayloadTooLarge", $"request body exceeds {MaxBodyBytes} bytes");

    private string[] Loc(string field) => [.. _prefix, field];

    public void Fail(string field, string msg, string type = "value_error") => _issues.Add(new ValidationIssue(Loc(field), msg, type));

    /// <summary>Throws one 422 listing every problem found so far.</summary>
    public void ThrowIfInvalid()
    {
        if (_issues.Count > 0) throw new ValidationException(_issues);
    }

    // Checks of a value (not of its JSON type) that read as their own pydantic types elsewhere.
    private static readonly HashSet<string> ValueCheckTypes = ["string_pattern_mismatch", "enum", "too_long"];

    /// <summary>
    /// <see cref="ThrowIfInvalid"/> for <c>POST /boxes</c>: every check of a value is typed <c>value_error</c>, since the
    /// current SDKs treat a create's 422 as a validation error only when some detail has that type (any other 422 becomes
    /// a "sandbox creation" error). Type errors (<c>int_type</c>, <c>string_type</c>, ...) keep their types.
    /// </summary>
    public void ThrowIfInvalidAsValueErrors()
    {
        if (_issues.Count > 0)
            throw new ValidationException(_issues.Select(i => ValueCheckTypes.Contains(i.Type) ? i with { Type = "value_error" } : i).ToList());
    }

    public bool Has(string field) => _root.TryGetProperty(field, out var v) && v.ValueKind != JsonValueKind.Null;

    private JsonElement? Get(string field) => _root.TryGetProperty(field, out var v) && v.ValueKind != JsonValueKind.Null ? v : null;

    public string? String(string field, bool required = false)
    {
        var v = Get(field);
        if (v is null)
        {
            if (required) Fail(field, "field required", "missing");
            return null;
        }
        if (v.Value.ValueKind != JsonValueKind.String)
        {
            Fail(field, "must be a string", "string_type");
            return null;
        }
        return v.Value.GetString();
    }

    /// <summary>A resource name: lowercase letters, digits and hyphens, at most 63 characters.</summary>
    public string? Name(string field, bool required = false)
    {
        var name = String(field, required);
        if (name is not null && !IsValidName(name))
            Fail(field, "must be 1-63 lowercase letters, digits or hyphens, starting and ending with a letter or digit", "string_pattern_mismatch");
        return name;
    }

    public static bool IsValidName(string name) => name.Length is > 0 and <= 63 && NamePattern().IsMatch(name);

    public long? Integer(string field, long min, long max, bool required = false)
    {
        var v = Get(field);
        if (v is null)
        {
            if (required) Fail(field, "field required", "missing");
            return null;
        }
        if (v.Value.ValueKind != JsonValueKind.Number || !v.Value.TryGetInt64(out var value))
        {
            Fail(field, "must be a whole number", "int_type");
            return null;
        }
        if (value < min || value > max)
        {
            Fail(field, $"must be between {min} and {max}", "value_error");
            return null;
        }
        return value;
    }

    public double? Number(string field, double min, double max)
    {
        var v = Get(field);
        if (v is null) return null;
        if (v.Value.ValueKind != JsonValueKind.Number)
        {
            Fail(field, "must be a number", "float_type");
            return null;
        }
        var value = v.Value.GetDouble();
        if (value < min || value > max)
        {
            Fail(field, $"must be between {min} and {max}", "value_error");
            return null;
        }
        return value;
    }

    public bool? Bool(string field)
    {
        var v = Get(field);
        if (v is null) return null;
        if (v.Value.ValueKind is not (JsonValueKind.True or JsonValueKind.False))
        {
            Fail(field, "must be true or false", "bool_type");
            return null;
        }
        return v.Value.GetBoolean();
    }

    /// <summary>An object of environment variables: string values, shell-safe names.</summary>
    public Dictionary<string, string>? Environment(string field)
    {
        var v = Get(field);
        if (v is null) return null;
        if (v.Value.ValueKind != JsonValueKind.Object)
        {
            Fail(field, "must be an object of string values", "dict_type");
            return null;
        }
        var env = new Dictionary<string, string>();
        foreach (var p in v.Value.EnumerateObject())
        {
            if (!EnvKeyPattern().IsMatch(p.Name)) Fail(field, $"'{p.Name}' is not a valid variable name (letters, digits, underscore; not starting with a digit)");
            else if (p.Value.ValueKind != JsonValueKind.String) Fail(field, $"value of '{p.Name}' must be a string", "string_type");
            else if (p.Value.GetString()!.Contains('\0')) Fail(field, $"value of '{p.Name}' contains a NUL character");
            else env[p.Name] = p.Value.GetString()!;
        }
        return env;
    }

    /// <summary>A nested object, read with the same rules and its own location prefix.</summary>
    public JsonInput? Object(string field)
    {
        var v = Get(field);
        if (v is null) return null;
        if (v.Value.ValueKind != JsonValueKind.Object)
        {
            Fail(field, "must be an object", "dict_type");
            return null;
        }
        return new JsonInput(v.Value, Loc(field), _issues);
    }

    public JsonElement? Raw(string field) => Get(field);
}
