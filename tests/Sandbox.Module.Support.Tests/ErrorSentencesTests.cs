using Sandbox.Client;
using Sandbox.Module.Support;

namespace Sandbox.Module.Support.Tests;

/// <summary>The sentence a user reads for a failed call (<see cref="ErrorSentences"/>), from real error bodies of the wire.</summary>
public sealed class ErrorSentencesTests
{
    private static readonly (string, string)[] Map = [("TimeToLive", "ttl_seconds"), ("AllowCidr", "network_policy.allow_cidrs"), ("NetworkPolicy", "network_policy")];
    private static string? ParameterFor(string field) => ErrorSentences.ParameterOf(field, Map);

    [Fact]
    public void A_validation_error_names_the_parameter_and_keeps_the_servers_words()
    {
        var e = SandboxErrorClassifier.FromResponse(422, """{"detail":[{"loc":["body","ttl_seconds"],"msg":"must be a multiple of 60 seconds","type":"value_error"}]}""");
        Assert.Equal("-TimeToLive (sent as 'ttl_seconds'): must be a multiple of 60 seconds.", ErrorSentences.For(e, ParameterFor));
    }

    [Fact]
    public void A_nested_or_indexed_field_finds_the_most_specific_parameter_and_every_issue_is_named()
    {
        var e = SandboxErrorClassifier.FromResponse(422, """
            {"detail":[{"loc":["body","network_policy","allow_cidrs",0],"msg":"'x' is not an IPv4 address","type":"value_error"},
                       {"loc":["body","network_policy","mode"],"msg":"must be one of deny-all, allow-all","type":"enum"},
                       {"loc":["body","labels"],"msg":"must be an object","type":"dict_type"}]}
            """);
        var sentence = ErrorSentences.For(e, ParameterFor);
        Assert.Equal("-AllowCidr (sent as 'network_policy.allow_cidrs.0'): 'x' is not an IPv4 address; -NetworkPolicy (sent as 'network_policy.mode'): must be one of deny-all, allow-all; 'labels': must be an object.", sentence);
    }

    [Fact]
    public void Other_errors_are_the_servers_message_as_a_sentence_never_the_body()
    {
        var e = SandboxErrorClassifier.FromResponse(404, """{"detail":{"error":"SandboxNotFound","message":"sandbox 'x' not found"}}""", method: "GET", requestUri: new Uri("http://127.0.0.1:1/v2/sandboxes/boxes/x"));
        var sentence = ErrorSentences.For(e, ParameterFor);
        Assert.StartsWith("Sandbox 'x' not found", sentence);
        Assert.DoesNotContain("{", sentence);
        Assert.Contains("SandboxNotFound", e.ResponseBody);
    }
}
