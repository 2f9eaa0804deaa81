using System.Globalization;
using System.Text.Json;
using System.Text.Json.Nodes;
using System.Text.RegularExpressions;
using YamlDotNet.RepresentationModel;

namespace Sandbox.Server.Tests.Infrastructure;

/// <summary>
/// Checks <c>/v1</c> responses against leap0's OpenAPI (<c>Contracts/leap0.yaml</c>, vendored): the operation must list
/// the response's status, and a JSON body must match the schema given for it. The validator covers what the spec
/// uses: <c>$ref</c>, <c>type</c> (one or a list), <c>nullable</c>, <c>enum</c>, <c>const</c>, <c>required</c>,
/// <c>properties</c>, <c>additionalProperties</c>, <c>items</c>, min/max of numbers, lengths and items, <c>pattern</c>,
/// the formats <c>date-time</c>, <c>uri</c>, <c>int64</c>/<c>int32</c>, and <c>allOf</c>/<c>anyOf</c>/<c>oneOf</c>.
/// </summary>
public static class Leap0Contract
{
    private static readonly Lazy<JsonObject> LazySpec = new(Load);

    public static JsonObject Spec => LazySpec.Value;

    /// <summary>
    /// Asserts that <paramref name="resp"/> has <paramref name="status"/>, that leap0's spec lists that status for
    /// <paramref name="method"/> <paramref name="specPath"/> (a path as the spec names it, e.g.
    /// <c>/v1/sandbox/{sandboxID}/</c>; the trailing <c>/</c> may differ), and that the body matches its schema.
    /// </summary>
    public static Resp AssertResponse(string method, string specPath, int status, Resp resp)
    {
        Assert.True(resp.Code == status, $"{method} {specPath}: expected {status}, got {resp.Code}: {resp.Text}");
        var errors = Check(method, specPath, status, resp.Text, resp.ContentHeaders?.ContentType?.MediaType);
        Assert.True(errors.Count == 0, $"{method} {specPath} {status} breaks leap0's contract:\n  {string.Join("\n  ", errors)}\nbody: {resp.Text}");
        return resp;
    }

    /// <summary>The same with the response's own status: <c>r.Conforms("GET", "/v1/sandboxes")</c>.</summary>
    public static Resp Conforms(this Resp resp, string method, string specPath) => AssertResponse(method, specPath, resp.Code, resp);

    /// <summary>The contract errors of a response (empty when it conforms); the assertion above reports them.</summary>
    public static List<string> Check(string method, string specPath, int status, string body, string? mediaType)
    {
        var errors = new List<string>();
        var operation = Operation(method, specPath);
        var responses = operation["responses"] as JsonObject ?? throw new InvalidOperationException($"{method} {specPath}: no responses in the spec");
        if (responses[status.ToString(CultureInfo.InvariantCulture)] is not JsonObject response)
        {
            errors.Add($"status {status} is not a response of {method.ToUpperInvariant()} {specPath} (the spec lists {string.Join(", ", responses.Select(r => r.Key))})");
            return errors;
        }
        response = (JsonObject)Resolve(response);
        var schema = response["content"]?["application/json"]?["schema"];
        if (schema is null)
        {
            if (response["content"] is null && body.Length > 0) errors.Add($"the spec gives no body for {status}, the server sent one");
            return errors;
        }
        if (mediaType != "application/json") errors.Add($"content type is '{mediaType}', the spec says application/json");
        JsonElement json;
        try
        {
            json = JsonDocument.Parse(body).RootElement;
        }
        catch (JsonException e)
        {
            errors.Add($"body is not JSON: {e.Message}");
            return errors;
        }
        Validate(json, schema, "$", errors);
        return errors;
    }

    /// <summary>Validates one value against a schema of the spec (<c>{"$ref": "#/components/schemas/X"}</c> works too).</summary>
    public static List<string> Validate(JsonElement value, JsonNode schema)
    {
        var errors = new List<string>();
        Validate(value, schema, "$", errors);
        return errors;
    }

    public static JsonNode SchemaRef(string name) => new JsonObject { ["$ref"] = $"#/components/schemas/{name}" };

    /// <summary>Routes the local server keeps for older SDKs, answered as the spec's operation they stand for.</summary>
    private static readonly Dictionary<(string Method, string Path), string> Aliases = new()
    {
        [("GET", "/v1/sandbox/")] = "/v1/sandboxes",
        [("POST", "/v1/snapshot/resume")] = "/v1/snapshot/restore",
        [("POST", "/v1/sandbox/{sandboxID}/snapshot/pause")] = "/v1/sandbox/{sandboxID}/snapshot/create",
    };

    /// <summary>
    /// The contract errors of a response to any <c>/v1</c> request, by its actual path (what
    /// <see cref="ContractCheckingHandler"/> checks on every response): the operation's schema for a status the spec
    /// lists; for an error status the spec does not list for that operation (a 404 for a sandbox that is not there,
    /// 408, 409, 413: the spec lists only some per operation), and for an error of a route it does not have, the spec's
    /// own error shapes, <c>ValidationErrorResponse</c> for 400 and <c>ErrorResponse</c> otherwise. A success of a route
    /// the spec does not have is an error, but for <c>GET /v1/templates</c> (ours: <c>{items}</c> of the upload answer).
    /// </summary>
    public static List<string> CheckRequest(string method, string requestPath, int status, string body, string? mediaType)
    {
        method = method.ToUpperInvariant();
        var specPath = SpecPathFor(method, requestPath);
        if (specPath is null && Aliases.FirstOrDefault(a => a.Key.Method == method && Matches(a.Key.Path, requestPath)).Value is { } alias)
            specPath = alias;
        var listed = specPath is not null && Operation(method, specPath)["responses"]?[status.ToString(CultureInfo.InvariantCulture)] is not null;
        if (listed) return Check(method, specPath!, status, body, mediaType);
        if (status >= 400) return CheckJson(body, mediaType, SchemaRef(status == 400 ? "ValidationErrorResponse" : "ErrorResponse"));
        if (specPath is null && method == "GET" && requestPath.TrimEnd('/') == "/v1/templates" && status == 200)
            return CheckJson(body, mediaType, new JsonObject
            {
                ["type"] = "object", ["required"] = new JsonArray("items"),
                ["properties"] = new JsonObject { ["items"] = new JsonObject { ["type"] = "array", ["items"] = SchemaRef("UploadTemplateResponse") } },
            });
        return [specPath is null ? $"{method} {requestPath} {status}: leap0's spec has no such operation" : $"status {status} is not a response of {method} {specPath}"];
    }

    private static bool Matches(string specPath, string requestPath)
    {
        var spec = specPath.Trim('/').Split('/');
        var actual = requestPath.Trim('/').Split('/');
        return spec.Length == actual.Length && spec.Zip(actual).All(x => x.First.StartsWith('{') || x.First == Uri.UnescapeDataString(x.Second));
    }

    private static List<string> CheckJson(string body, string? mediaType, JsonNode schema)
    {
        var errors = new List<string>();
        if (mediaType != "application/json") errors.Add($"content type is '{mediaType}', the spec says application/json");
        try
        {
            Validate(JsonDocument.Parse(body).RootElement, schema, "$", errors);
        }
        catch (JsonException e)
        {
            errors.Add($"body is not JSON: {e.Message}");
        }
        return errors;
    }

    /// <summary>
    /// The spec's path for a request path (<c>/v1/sandbox/abc/process/execute/</c> -> <c>/v1/sandbox/{sandboxID}/process/execute</c>):
    /// segments equal or a <c>{param}</c>, trailing <c>/</c> ignored, the most literal segments winning; null when none
    /// of the spec's paths has <paramref name="method"/> there.
    /// </summary>
    public static string? SpecPathFor(string method, string requestPath)
    {
        return ((JsonObject)Spec["paths"]!)
            .Where(p => p.Value is JsonObject ops && ops[method.ToLowerInvariant()] is not null && Matches(p.Key, requestPath))
            .OrderByDescending(p => p.Key.Split('/').Count(x => x.Length > 0 && !x.StartsWith('{')))
            .Select(p => p.Key)
            .FirstOrDefault();
    }

    private static JsonObject Operation(string method, string specPath)
    {
        var paths = (JsonObject)Spec["paths"]!;
        var alternate = specPath.EndsWith('/') ? specPath.TrimEnd('/') : specPath + "/";
        var path = paths[specPath] as JsonObject ?? paths[alternate] as JsonObject
            ?? throw new Xunit.Sdk.XunitException($"leap0's spec has no path {specPath}");
        return path[method.ToLowerInvariant()] as JsonObject
            ?? throw new Xunit.Sdk.XunitException($"leap0's spec has no {method.ToUpperInvariant()} {specPath}");
    }

    private static JsonNode Resolve(JsonNode node)
    {
        for (var depth = 0; node is JsonObject o && o["$ref"] is JsonValue r; depth++)
        {
            if (depth > 32) throw new InvalidOperationException("$ref cycle");
            var target = (string)r!;
            if (!target.StartsWith("#/", StringComparison.Ordinal)) throw new InvalidOperationException($"external $ref {target}");
            JsonNode? at = Spec;
            foreach (var part in target[2..].Split('/'))
                at = at?[part.Replace("~1", "/").Replace("~0", "~")];
            node = at ?? throw new InvalidOperationException($"unresolved $ref {target}");
        }
        return node;
    }

    private static void Validate(JsonElement value, JsonNode? schemaNode, string at, List<string> errors)
    {
        if (schemaNode is not JsonObject schema) return; // `{}` or `true`: anything
        if (value.ValueKind == JsonValueKind.Null && schema["nullable"] is JsonValue n && (bool)n) return;
        if (schema["$ref"] is not null)
        {
            // OpenAPI puts `nullable` (handled above) and notes beside a $ref; the referenced schema does the rest.
            Validate(value, Resolve(schema), at, errors);
            return;
        }

        if (schema["type"] is { } type)
        {
            var types = type is JsonArray list ? list.Select(t => (string)t!).ToList() : [(string)type!];
            if (!types.Any(t => IsOfType(value, t)))
            {
                errors.Add($"{at}: expected {string.Join(" or ", types)}, got {Describe(value)}");
                return;
            }
        }
        if (schema["enum"] is JsonArray values && !values.Any(v => SameValue(value, v)))
            errors.Add($"{at}: {Describe(value)} is not one of [{string.Join(", ", values.Select(v => v?.ToJsonString()))}]");
        if (schema["const"] is { } constant && !SameValue(value, constant))
            errors.Add($"{at}: {Describe(value)} is not {constant.ToJsonString()}");

        switch (value.ValueKind)
        {
            case JsonValueKind.String: CheckString(value.GetString()!, schema, at, errors); break;
            case JsonValueKind.Number: CheckNumber(value, schema, at, errors); break;
            case JsonValueKind.Array: CheckArray(value, schema, at, errors); break;
            case JsonValueKind.Object: CheckObject(value, schema, at, errors); break;
        }

        if (schema["allOf"] is JsonArray all)
            foreach (var sub in all) Validate(value, sub, at, errors);
        if (schema["anyOf"] is JsonArray any) CheckAlternatives(value, any, at, "anyOf", errors);
        // The spec's oneOf lists overlap (every ValidationErrorResponse is an ErrorResponse too), so exclusivity would
        // refuse the bodies leap0 itself sends: a oneOf is met by a body that matches at least one alternative.
        if (schema["oneOf"] is JsonArray one) CheckAlternatives(value, one, at, "oneOf", errors);
    }

    private static void CheckAlternatives(JsonElement value, JsonArray alternatives, string at, string keyword, List<string> errors)
    {
        var failures = new List<string>();
        foreach (var alternative in alternatives)
        {
            var e = new List<string>();
            Validate(value, alternative, at, e);
            if (e.Count == 0) return;
            failures.Add(string.Join("; ", e));
        }
        errors.Add($"{at}: matches none of {keyword}: {string.Join(" | ", failures)}");
    }

    private static void CheckString(string s, JsonObject schema, string at, List<string> errors)
    {
        if (schema["minLength"] is { } min && s.Length < Num(min)) errors.Add($"{at}: shorter than {min}");
        if (schema["maxLength"] is { } max && s.Length > Num(max)) errors.Add($"{at}: longer than {max}");
        if (schema["pattern"] is { } pattern && !Regex.IsMatch(s, (string)pattern!)) errors.Add($"{at}: '{s}' does not match {pattern}");
        switch ((string?)schema["format"])
        {
            case "date-time" when !IsDateTime(s):
                errors.Add($"{at}: '{s}' is not an RFC 3339 date-time");
                break;
            case "uri" when !Uri.TryCreate(s, UriKind.Absolute, out _):
                errors.Add($"{at}: '{s}' is not an absolute URI");
                break;
        }
    }

    // RFC 3339: date, 'T', time, optional fraction, and a zone (Z or ±hh:mm) that leap0's clients parse.
    private static bool IsDateTime(string s) =>
        Regex.IsMatch(s, @"^\d{4}-\d{2}-\d{2}[Tt]\d{2}:\d{2}:\d{2}(\.\d+)?([Zz]|[+-]\d{2}:\d{2})$")
        && DateTimeOffset.TryParse(s, CultureInfo.InvariantCulture, DateTimeStyles.RoundtripKind, out _);

    private static void CheckNumber(JsonElement value, JsonObject schema, string at, List<string> errors)
    {
        var d = value.GetDouble();
        if (schema["minimum"] is { } min && d < Num(min)) errors.Add($"{at}: {value.GetRawText()} is below the minimum {min}");
        if (schema["maximum"] is { } max && d > Num(max)) errors.Add($"{at}: {value.GetRawText()} is above the maximum {max}");
        if (schema["exclusiveMinimum"] is JsonValue lo && d <= Num(lo)) errors.Add($"{at}: not above {lo}");
        if (schema["exclusiveMaximum"] is JsonValue hi && d >= Num(hi)) errors.Add($"{at}: not below {hi}");
        switch ((string?)schema["format"])
        {
            case "int64" when !value.TryGetInt64(out _):
                errors.Add($"{at}: {value.GetRawText()} is not an int64");
                break;
            case "int32" when !value.TryGetInt32(out _):
                errors.Add($"{at}: {value.GetRawText()} is not an int32");
                break;
        }
    }

    private static void CheckArray(JsonElement value, JsonObject schema, string at, List<string> errors)
    {
        var length = value.GetArrayLength();
        if (schema["minItems"] is { } min && length < Num(min)) errors.Add($"{at}: fewer than {min} items");
        if (schema["maxItems"] is { } max && length > Num(max)) errors.Add($"{at}: more than {max} items");
        if (schema["items"] is { } items)
        {
            var i = 0;
            foreach (var item in value.EnumerateArray()) Validate(item, items, $"{at}[{i++}]", errors);
        }
    }

    private static void CheckObject(JsonElement value, JsonObject schema, string at, List<string> errors)
    {
        if (schema["required"] is JsonArray required)
            foreach (var name in required.Select(r => (string)r!))
                if (!value.TryGetProperty(name, out _)) errors.Add($"{at}: required property '{name}' is missing");
        var properties = schema["properties"] as JsonObject;
        var additional = schema["additionalProperties"];
        foreach (var p in value.EnumerateObject())
        {
            if (properties?[p.Name] is { } propertySchema) Validate(p.Value, propertySchema, $"{at}.{p.Name}", errors);
            else if (additional is JsonValue allowed && !(bool)allowed) errors.Add($"{at}: property '{p.Name}' is not allowed");
            else if (additional is JsonObject) Validate(p.Value, additional, $"{at}.{p.Name}", errors);
        }
    }

    private static double Num(JsonNode node) => double.Parse(node.ToJsonString(), CultureInfo.InvariantCulture);

    private static bool IsOfType(JsonElement value, string type) => type switch
    {
        "string" => value.ValueKind == JsonValueKind.String,
        "integer" => value.ValueKind == JsonValueKind.Number && (value.TryGetInt64(out _) || (value.TryGetDouble(out var d) && Math.Floor(d) == d)),
        "number" => value.ValueKind == JsonValueKind.Number,
        "boolean" => value.ValueKind is JsonValueKind.True or JsonValueKind.False,
        "array" => value.ValueKind == JsonValueKind.Array,
        "object" => value.ValueKind == JsonValueKind.Object,
        "null" => value.ValueKind == JsonValueKind.Null,
        _ => throw new InvalidOperationException($"unknown type '{type}' in the spec"),
    };

    private static bool SameValue(JsonElement value, JsonNode? expected) => expected switch
    {
        null => value.ValueKind == JsonValueKind.Null,
        JsonValue v when v.TryGetValue<string>(out var s) => value.ValueKind == JsonValueKind.String && value.GetString() == s,
        JsonValue v when v.TryGetValue<bool>(out var b) => value.ValueKind == (b ? JsonValueKind.True : JsonValueKind.False),
        JsonValue v when v.GetValueKind() == JsonValueKind.Number => value.ValueKind == JsonValueKind.Number && value.GetDouble() == Num(v),
        _ => JsonNode.DeepEquals(JsonNode.Parse(value.GetRawText()), expected),
    };

    private static string Describe(JsonElement value) => value.ValueKind switch
    {
        JsonValueKind.Object => "an object",
        JsonValueKind.Array => "an array",
        _ => value.GetRawText().Length > 60 ? value.GetRawText()[..60] + "..." : value.GetRawText(),
    };

    private static JsonObject Load()
    {
        var file = Path.Combine(AppContext.BaseDirectory, "Contracts", "leap0.yaml");
        using var reader = new StreamReader(file);
        var yaml = new YamlStream();
        yaml.Load(reader);
        return (JsonObject)ToJson(yaml.Documents[0].RootNode)!;
    }

    // YAML to JSON: plain scalars take YAML's core types (null, booleans, numbers), quoted ones stay strings.
    private static JsonNode? ToJson(YamlNode node) => node switch
    {
        YamlMappingNode map => new JsonObject(map.Children.Select(kv => KeyValuePair.Create(((YamlScalarNode)kv.Key).Value!, ToJson(kv.Value)))),
        YamlSequenceNode seq => new JsonArray(seq.Children.Select(ToJson).ToArray()),
        YamlScalarNode s when s.Style is not (YamlDotNet.Core.ScalarStyle.Plain or YamlDotNet.Core.ScalarStyle.Any) => JsonValue.Create(s.Value),
        YamlScalarNode { Value: null or "" or "~" or "null" } => null,
        YamlScalarNode { Value: "true" } => JsonValue.Create(true),
        YamlScalarNode { Value: "false" } => JsonValue.Create(false),
        YamlScalarNode s when long.TryParse(s.Value, NumberStyles.AllowLeadingSign, CultureInfo.InvariantCulture, out var l) => JsonValue.Create(l),
        YamlScalarNode s when Regex.IsMatch(s.Value!, @"^[-+]?(\d+\.\d*|\.\d+|\d+)([eE][-+]?\d+)?$") => JsonValue.Create(double.Parse(s.Value!, CultureInfo.InvariantCulture)),
        YamlScalarNode s => JsonValue.Create(s.Value),
        _ => throw new InvalidOperationException($"unexpected YAML node {node.NodeType}"),
    };
}
