using System.Text.Json;

namespace Sandbox.Server.Api;

public sealed partial class JsonInput
{
    /// <summary>
    /// An array of objects, each read with the same rules under <c>[..., field, index]</c> (so a 422 names the item's field).
    /// Null when absent; items that are not objects are reported and skipped.
    /// </summary>
    public List<JsonInput>? ObjectArray(string field)
    {
        var v = Get(field);
        if (v is null) return null;
        if (v.Value.ValueKind != JsonValueKind.Array)
        {
            Fail(field, "must be an array", "list_type");
            return null;
        }
        var items = new List<JsonInput>();
        var index = 0;
        foreach (var item in v.Value.EnumerateArray())
        {
            string[] loc = [.. _prefix, field, index.ToString(System.Globalization.CultureInfo.InvariantCulture)];
            if (item.ValueKind != JsonValueKind.Object) _issues.Add(new ValidationIssue(loc, "must be an object", "dict_type"));
            else items.Add(new JsonInput(item, loc, _issues));
            index++;
        }
        return items;
    }
}
