using Sandbox.Module.Support;

namespace Sandbox.Client.Tests;

/// <summary>The configuration chain, without touching the process environment.</summary>
public sealed class SettingsTests
{
    private static SandboxEnvironment Env(Dictionary<string, string>? vars = null, bool root = false, Dictionary<string, string>? files = null) =>
        SandboxEnvironment.FromVariables(vars ?? [], root, "/home/alice", files);

    [Fact]
    public void Explicit_values_win_over_everything()
    {
        var env = Env(new() { ["SANDBOX_ENDPOINT"] = "http://env:1", ["SANDBOX_API_KEY"] = "envkey", ["LANGSMITH_ENDPOINT"] = "http://ls:2", ["LANGSMITH_API_KEY"] = "lskey" });
        var s = SandboxConnectionSettings.Resolve("https://explicit.example/", "k1", env);
        Assert.Equal("https://explicit.example", s.Endpoint);
        Assert.Equal("https://explicit.example/v2/sandboxes", s.ControlPlaneBaseUrl);
        Assert.Equal("k1", s.ApiKey);
        Assert.Equal(SandboxSettingSource.Explicit, s.EndpointSource);
        Assert.Equal(SandboxSettingSource.Explicit, s.ApiKeySource);
        Assert.False(s.IsLocalServer);
    }

    [Fact]
    public void The_same_target_is_the_same_endpoint_and_key_found_the_same_way_except_the_local_servers_key_file()
    {
        var before = SandboxConnectionSettings.Resolve(environment: Env(root: true));
        // The key file appears when the server first starts: still the same local server.
        var after = SandboxConnectionSettings.Resolve(environment: Env(root: true, files: new() { ["/var/lib/sandbox/api-key"] = "k" }));
        Assert.True(before.SameTarget(after));
        var changedKey = SandboxConnectionSettings.Resolve(environment: Env(new() { ["SANDBOX_API_KEY"] = "other" }, root: true));
        Assert.False(before.SameTarget(changedKey));
        var env1 = SandboxConnectionSettings.Resolve(environment: Env(new() { ["SANDBOX_ENDPOINT"] = "http://a:1", ["SANDBOX_API_KEY"] = "k1" }));
        var env2 = SandboxConnectionSettings.Resolve(environment: Env(new() { ["SANDBOX_ENDPOINT"] = "http://a:1", ["SANDBOX_API_KEY"] = "k2" }));
        Assert.True(env1.SameTarget(env1));
        Assert.False(env1.SameTarget(env2));
        Assert.False(env1.SameTarget(before));
    }

    [Fact]
    public void Sandbox_variables_come_before_langsmith_variables()
    {
        var env = Env(new() { ["SANDBOX_ENDPOINT"] = "http://env:1/", ["SANDBOX_API_KEY"] = "envkey", ["LANGSMITH_ENDPOINT"] = "http://ls:2", ["LANGSMITH_API_KEY"] = "lskey" });
        var s = SandboxConnectionSettings.Resolve(environment: env);
        Assert.Equal("http://env:1", s.Endpoint);
        Assert.Equal("envkey", s.ApiKey);
        Assert.Equal(SandboxSettingSource.SandboxEnvironment, s.EndpointSource);
        Assert.Equal(SandboxSettingSource.SandboxEnvironment, s.ApiKeySource);
    }

    [Fact]
    public void Langsmith_variables_are_the_second_fallback_and_each_chain_is_independent()
    {
        var env = Env(new() { ["LANGSMITH_ENDPOINT"] = "https://api.smith.example/api/v2/sandboxes/", ["SANDBOX_API_KEY"] = "sk", ["LANGSMITH_API_KEY"] = "lk" });
        var s = SandboxConnectionSettings.Resolve(environment: env);
        Assert.Equal("https://api.smith.example/api/v2/sandboxes", s.ControlPlaneBaseUrl);
        Assert.Equal(SandboxSettingSource.LangSmithEnvironment, s.EndpointSource);
        Assert.Equal("sk", s.ApiKey);

        var onlyLs = SandboxConnectionSettings.Resolve(environment: Env(new() { ["LANGSMITH_ENDPOINT"] = "https://ls.example", ["LANGSMITH_API_KEY"] = "lk" }));
        Assert.Equal("lk", onlyLs.ApiKey);
        Assert.Equal(SandboxSettingSource.LangSmithEnvironment, onlyLs.ApiKeySource);
    }

    [Fact]
    public void Empty_variables_are_ignored()
    {
        var s = SandboxConnectionSettings.Resolve(environment: Env(new() { ["SANDBOX_ENDPOINT"] = "  ", ["SANDBOX_API_KEY"] = "", ["LANGSMITH_ENDPOINT"] = "http://ls:2" }));
        Assert.Equal("http://ls:2", s.Endpoint);
    }

    [Fact]
    public void Local_server_for_root_reads_var_lib_key_file()
    {
        var s = SandboxConnectionSettings.Resolve(environment: Env(root: true, files: new() { ["/var/lib/sandbox/api-key"] = "rootkey\n" }));
        Assert.Equal(SandboxConnectionSettings.DefaultLocalEndpoint, s.Endpoint);
        Assert.Equal("http://127.0.0.1:8765/v2/sandboxes", s.ControlPlaneBaseUrl);
        Assert.True(s.IsLocalServer);
        Assert.Equal("rootkey", s.ApiKey);
        Assert.Equal("/var/lib/sandbox/api-key", s.LocalKeyFile);
        Assert.Equal(SandboxSettingSource.LocalServer, s.ApiKeySource);
    }

    [Fact]
    public void Local_server_for_a_user_uses_xdg_data_home_then_home()
    {
        var xdg = SandboxConnectionSettings.Resolve(environment: Env(new() { ["XDG_DATA_HOME"] = "/data/alice" }, files: new() { ["/data/alice/sandbox/api-key"] = "xdgkey" }));
        Assert.Equal("xdgkey", xdg.ApiKey);
        var home = SandboxConnectionSettings.Resolve(environment: Env(files: new() { ["/home/alice/.local/share/sandbox/api-key"] = "homekey" }));
        Assert.Equal("homekey", home.ApiKey);
        Assert.Equal("/home/alice/.local/share/sandbox/api-key", home.LocalKeyFile);
    }

    [Fact]
    public void Missing_key_file_gives_no_key()
    {
        var s = SandboxConnectionSettings.Resolve(environment: Env());
        Assert.Null(s.ApiKey);
        Assert.Equal(SandboxSettingSource.None, s.ApiKeySource);
    }

    [Fact]
    public void The_local_key_is_never_used_for_a_remote_endpoint()
    {
        var s = SandboxConnectionSettings.Resolve("https://remote.example", environment: Env(root: true, files: new() { ["/var/lib/sandbox/api-key"] = "rootkey" }));
        Assert.Null(s.ApiKey);
        var loopback = SandboxConnectionSettings.Resolve("http://127.0.0.1:9999", environment: Env(root: true, files: new() { ["/var/lib/sandbox/api-key"] = "rootkey" }));
        Assert.Equal("rootkey", loopback.ApiKey);
    }

    [Theory]
    [InlineData("http://h:1", "http://h:1", "http://h:1/v2/sandboxes")]
    [InlineData("http://h:1///", "http://h:1", "http://h:1/v2/sandboxes")]
    [InlineData("http://h:1/v2/sandboxes", "http://h:1", "http://h:1/v2/sandboxes")]
    [InlineData("http://h:1/v2/sandboxes/", "http://h:1", "http://h:1/v2/sandboxes")]
    [InlineData("https://h/prefix", "https://h/prefix", "https://h/prefix/v2/sandboxes")]
    public void Endpoints_are_normalised(string given, string endpoint, string controlPlane)
    {
        var (e, c) = SandboxConnectionSettings.NormalizeEndpoint(given);
        Assert.Equal(endpoint, e);
        Assert.Equal(controlPlane, c);
    }

    [Theory]
    [InlineData("localhost:8765")]
    [InlineData("ftp://h")]
    [InlineData("not a url")]
    [InlineData("http://h/?q=1")]
    public void Bad_endpoints_are_rejected(string given) =>
        Assert.Throws<ArgumentException>(() => SandboxConnectionSettings.NormalizeEndpoint(given));

    [Fact]
    public void ToString_never_shows_the_key()
    {
        var s = new SandboxConnectionSettings("http://h:1", "supersecret");
        Assert.DoesNotContain("supersecret", s.ToString());
    }
}

/// <summary>PowerShell-style wildcards.</summary>
public sealed class WildcardTests
{
    [Theory]
    [InlineData("web-*", "web-1", true)]
    [InlineData("web-*", "web-", true)]
    [InlineData("web-*", "api-1", false)]
    [InlineData("*", "", true)]
    [InlineData("*-db", "main-db", true)]
    [InlineData("*-db", "main-db2", false)]
    [InlineData("a?c", "abc", true)]
    [InlineData("a?c", "ac", false)]
    [InlineData("box[1-3]", "box2", true)]
    [InlineData("box[1-3]", "box4", false)]
    [InlineData("box[abc]x", "boxbx", true)]
    [InlineData("box[a-cx]", "boxx", true)]
    [InlineData("WEB-*", "web-1", true)]
    [InlineData("web-[A-C]", "web-b", true)]
    [InlineData("a*b*c", "axxbyyc", true)]
    [InlineData("a*b*c", "axxbyy", false)]
    [InlineData("a**", "abc", true)]
    [InlineData("lit`*", "lit*", true)]
    [InlineData("lit`*", "lit1", false)]
    [InlineData("exact", "exact", true)]
    [InlineData("exact", "exactly", false)]
    public void Matches_like_powershell(string pattern, string text, bool expected) =>
        Assert.Equal(expected, SandboxWildcard.Parse(pattern).IsMatch(text));

    [Theory]
    [InlineData("web-*", "web-")]
    [InlineData("*-prod-*-x", "-prod-")]
    [InlineData("a?bcd*e", "bcd")]
    [InlineData("*", "")]
    [InlineData("[ab]*", "")]
    [InlineData("Web*", "web")]
    public void Longest_literal_is_the_server_side_filter(string pattern, string literal) =>
        Assert.Equal(literal, SandboxWildcard.Parse(pattern).LongestLiteral);

    [Fact]
    public void Names_without_wildcards_are_literal()
    {
        Assert.False(SandboxWildcard.ContainsWildcard("my-box"));
        Assert.True(SandboxWildcard.ContainsWildcard("my-*"));
        Assert.True(SandboxWildcard.ContainsWildcard("my-[ab]"));
        Assert.False(SandboxWildcard.ContainsWildcard("my`*"));
        var p = SandboxWildcard.Parse("my`*box");
        Assert.False(p.HasWildcards);
        Assert.Equal("my*box", p.LiteralText);
        Assert.Equal("a`*b`?", SandboxWildcard.Escape("a*b?"));
        Assert.True(SandboxWildcard.Parse(SandboxWildcard.Escape("a*[b]")).IsMatch("a*[b]"));
    }

    [Theory]
    [InlineData("box[1-3")]
    [InlineData("box[]")]
    public void Invalid_patterns_throw(string pattern) => Assert.Throws<ArgumentException>(() => SandboxWildcard.Parse(pattern));

    [Fact]
    public void Long_inputs_match_quickly()
    {
        var p = SandboxWildcard.Parse("*a*a*a*a*a*b");
        var text = new string('a', 5000);
        var watch = System.Diagnostics.Stopwatch.StartNew();
        Assert.False(p.IsMatch(text));
        Assert.True(watch.Elapsed < TimeSpan.FromSeconds(2));
    }
}

/// <summary>Error classification from response bodies, as the local server and LangSmith send them.</summary>
public sealed class ErrorClassifierTests
{
    private static string Body(string type, string message = "m") => $$$"""{"detail":{"error":"{{{type}}}","message":"{{{message}}}"}}""";

    [Theory]
    [InlineData(404, "SandboxNotFound", typeof(SandboxNotFoundException), "SandboxNotFound", "ObjectNotFound")]
    [InlineData(404, "TemplateNotFound", typeof(SandboxNotFoundException), "TemplateNotFound", "ObjectNotFound")]
    [InlineData(400, "TemplateNotFound", typeof(SandboxNotFoundException), "TemplateNotFound", "ObjectNotFound")]
    [InlineData(404, "NotFound", typeof(SandboxNotFoundException), "SandboxPathNotFound", "ObjectNotFound")]
    [InlineData(409, "SandboxAlreadyExists", typeof(SandboxNameConflictException), "SandboxAlreadyExists", "ResourceExists")]
    [InlineData(409, "TemplateAlreadyExists", typeof(SandboxNameConflictException), "TemplateAlreadyExists", "ResourceExists")]
    [InlineData(409, "TemplateInUse", typeof(SandboxResourceInUseException), "TemplateInUse", "ResourceBusy")]
    [InlineData(404, "RegistryNotFound", typeof(SandboxNotFoundException), "RegistryNotFound", "ObjectNotFound")]
    [InlineData(409, "RegistryAlreadyExists", typeof(SandboxNameConflictException), "RegistryAlreadyExists", "ResourceExists")]
    [InlineData(409, "VolumeInUse", typeof(SandboxResourceInUseException), "VolumeInUse", "ResourceBusy")]
    [InlineData(400, "NotSupported", typeof(SandboxNotSupportedException), "SandboxNotSupported", "NotImplemented")]
    [InlineData(429, "QuotaExceeded", typeof(SandboxQuotaExceededException), "SandboxQuotaExceeded", "QuotaExceeded")]
    [InlineData(401, "Unauthorized", typeof(SandboxAuthenticationException), "SandboxAuthenticationFailed", "AuthenticationError")]
    [InlineData(403, "Forbidden", typeof(SandboxAuthenticationException), "SandboxAccessDenied", "PermissionDenied")]
    [InlineData(403, "PermissionDenied", typeof(SandboxApiException), "SandboxPathAccessDenied", "PermissionDenied")]
    [InlineData(408, "SandboxTimeout", typeof(SandboxTimeoutException), "SandboxTimeout", "OperationTimeout")]
    [InlineData(408, "CommandTimeout", typeof(SandboxCommandTimeoutException), "SandboxCommandTimeout", "OperationTimeout")]
    [InlineData(504, "Timeout", typeof(SandboxTimeoutException), "SandboxTimeout", "OperationTimeout")]
    [InlineData(400, "NotReady", typeof(SandboxApiException), "SandboxNotReady", "InvalidOperation")]
    [InlineData(400, "InvalidWorkingDirectory", typeof(SandboxValidationException), "SandboxValidationFailed", "InvalidArgument")]
    [InlineData(400, "CommandNotFound", typeof(SandboxNotFoundException), "SandboxCommandNotFound", "ObjectNotFound")]
    [InlineData(500, "InternalError", typeof(SandboxApiException), "SandboxApiError", "NotSpecified")]
    public void Typed_errors(int status, string type, Type exceptionType, string errorId, string category)
    {
        var e = SandboxErrorClassifier.FromResponse(status, Body(type, "the message"), null, "GET", new Uri("http://h/v2/sandboxes/boxes/x"), "x");
        Assert.IsType(exceptionType, e);
        Assert.Equal(status, e.StatusCode);
        Assert.Equal(type, e.ErrorType);
        Assert.Equal(errorId, e.ErrorId());
        Assert.Equal(category, e.CategoryName());
        Assert.Equal("x", e.TargetName);
        Assert.StartsWith("the message", e.Message);
        Assert.Contains("GET /v2/sandboxes/boxes/x", e.Message);
    }

    [Fact]
    public void Validation_422_names_the_field()
    {
        var body = """{"detail":[{"loc":["body","resources","cpu"],"msg":"not a quantity","type":"value_error"},{"loc":["body","name"],"msg":"bad","type":"string_type"}]}""";
        var e = Assert.IsType<SandboxValidationException>(SandboxErrorClassifier.FromResponse(422, body));
        Assert.Equal("resources.cpu", e.Field);
        Assert.Equal(2, e.ValidationIssues.Count);
        Assert.Equal("name", e.ValidationIssues[1].Field);
        Assert.Contains("resources.cpu: not a quantity", e.Message);
        Assert.Equal("SandboxValidationFailed", e.ErrorId());
        Assert.Equal("InvalidArgument", e.CategoryName());
        Assert.Equal(body, e.ResponseBody);
    }

    [Fact]
    public void Status_decides_when_the_type_is_unknown()
    {
        Assert.IsType<SandboxNotFoundException>(SandboxErrorClassifier.FromResponse(404, "not json"));
        Assert.IsType<SandboxNameConflictException>(SandboxErrorClassifier.FromResponse(409, Body("Whatever", "name already taken")));
        Assert.IsType<SandboxResourceInUseException>(SandboxErrorClassifier.FromResponse(409, Body("Whatever", "template is in use by 2 sandboxes")));
        Assert.IsType<SandboxQuotaExceededException>(SandboxErrorClassifier.FromResponse(429, ""));
        Assert.IsType<SandboxAuthenticationException>(SandboxErrorClassifier.FromResponse(401, null));
        Assert.IsType<SandboxValidationException>(SandboxErrorClassifier.FromResponse(400, """{"detail":"bad request"}"""));
        var e503 = SandboxErrorClassifier.FromResponse(503, "");
        Assert.Equal(typeof(SandboxApiException), e503.GetType());
        Assert.True(e503.IsTransient);
        Assert.Contains("503", e503.Message);
    }

    [Fact]
    public void Retry_after_is_carried()
    {
        var e = SandboxErrorClassifier.FromResponse(429, Body("RateLimited"), TimeSpan.FromSeconds(7));
        Assert.Equal(TimeSpan.FromSeconds(7), e.RetryAfter);
        Assert.Equal(TimeSpan.FromSeconds(3), SandboxErrorClassifier.ParseRetryAfter("3"));
        var now = new DateTimeOffset(2026, 1, 1, 0, 0, 0, TimeSpan.Zero);
        Assert.Equal(TimeSpan.FromSeconds(30), SandboxErrorClassifier.ParseRetryAfter("Thu, 01 Jan 2026 00:00:30 GMT", now));
        Assert.Null(SandboxErrorClassifier.ParseRetryAfter("soon"));
    }

    [Fact]
    public void WebSocket_error_frames_are_classified_like_http_errors()
    {
        Assert.IsType<SandboxCommandTimeoutException>(SandboxErrorClassifier.FromErrorFrame("CommandTimeout", "too slow"));
        var expired = Assert.IsType<SandboxNotFoundException>(SandboxErrorClassifier.FromErrorFrame("SessionExpired", "gone"));
        Assert.Null(expired.StatusCode);
        Assert.Equal("SandboxCommandSessionExpired", expired.ErrorId());
        Assert.Equal("SandboxApiError", SandboxErrorClassifier.FromErrorFrame("Strange", null).ErrorId());
    }

    [Fact]
    public void Field_of_a_location()
    {
        Assert.Null(SandboxErrorClassifier.FieldOf(["body"]));
        Assert.Equal("sort_by", SandboxErrorClassifier.FieldOf(["query", "sort_by"]));
        Assert.Equal("env.X", SandboxErrorClassifier.FieldOf(["body", "env", "X"]));
    }
}

/// <summary>Backoff, defaults, line splitting and the stdin fallback.</summary>
public sealed class SmallLogicTests
{
    [Fact]
    public void Backoff_is_two_to_the_n_plus_jitter_capped_at_ten()
    {
        var p = new SandboxRetryPolicy { Jitter = () => 0.5 };
        Assert.Equal(TimeSpan.FromSeconds(1.5), p.Backoff(0));
        Assert.Equal(TimeSpan.FromSeconds(2.5), p.Backoff(1));
        Assert.Equal(TimeSpan.FromSeconds(4.5), p.Backoff(2));
        Assert.Equal(TimeSpan.FromSeconds(8.5), p.Backoff(3));
        Assert.Equal(TimeSpan.FromSeconds(10), p.Backoff(4));
        Assert.Equal(TimeSpan.FromSeconds(10), p.Backoff(100));
        Assert.Equal(3, SandboxRetryPolicy.Default.MaxRetries);
        var random = SandboxRetryPolicy.Default.Backoff(0);
        Assert.InRange(random.TotalSeconds, 1, 2);
    }

    [Fact]
    public void Defaults_and_conversions()
    {
        Assert.Equal(512L * 1024 * 1024, SandboxDefaults.MebibytesToBytes(512));
        Assert.Equal(61, SandboxDefaults.ToWholeSeconds(TimeSpan.FromSeconds(60.2)));
        Assert.Null(SandboxDefaults.ToWholeSeconds(null));
        Assert.Throws<ArgumentOutOfRangeException>(() => SandboxDefaults.ToWholeSeconds(TimeSpan.FromSeconds(-1)));
    }

    [Fact]
    public void Lines_are_joined_across_chunks_per_stream()
    {
        var s = new CommandOutputLineSplitter();
        Assert.Empty(s.Add(new CommandOutputChunk(CommandStream.Stdout, "hel", 0)));
        Assert.Empty(s.Add(new CommandOutputChunk(CommandStream.Stderr, "warn", 0)));
        var lines = s.Add(new CommandOutputChunk(CommandStream.Stdout, "lo\r\nworld\npart", 3));
        Assert.Equal([new CommandOutputLine(CommandStream.Stdout, "hello"), new CommandOutputLine(CommandStream.Stdout, "world")], lines);
        Assert.Equal([new CommandOutputLine(CommandStream.Stderr, "warning")], s.Add(new CommandOutputChunk(CommandStream.Stderr, "ing\n", 4)));
        Assert.Equal([new CommandOutputLine(CommandStream.Stdout, "part")], s.Flush());
        Assert.Empty(s.Flush());
    }

    [Fact]
    public void Stdin_fallback_quotes_for_a_posix_shell()
    {
        var wrapped = CommandsClient.PipeStdinInto("cat", "it's $HOME\n", "/bin/bash");
        Assert.Equal("printf '%s' 'it'\\''s $HOME\n' | (\ncat\n)", wrapped);
        Assert.Throws<SandboxNotSupportedException>(() => CommandsClient.PipeStdinInto("x", "y", "/usr/bin/python3"));
        Assert.Throws<SandboxNotSupportedException>(() => CommandsClient.PipeStdinInto("x", new string('a', CommandsClient.MaxFallbackStdinBytes + 1), null));
    }

    [Fact]
    public void Sandbox_models_serialise_snake_case_and_send_env_only_when_given()
    {
        var json = System.Text.Json.JsonSerializer.Serialize(new CreateSandboxRequest { TemplateName = "base", MemBytes = 1, IdleTtlSeconds = 60 }, new global::Sandbox.Client.Protocol.SeedDialect("http://h").Json);
        Assert.Equal("""{"template_name":"base","wait_for_ready":true,"idle_ttl_seconds":60,"mem_bytes":1}""", json);
        var withEnv = System.Text.Json.JsonSerializer.Serialize(new CreateSandboxRequest { TemplateName = "b", Environment = new Dictionary<string, string> { ["MY_VAR"] = "1" } }, new global::Sandbox.Client.Protocol.SeedDialect("http://h").Json);
        Assert.Contains("\"env\":{\"MY_VAR\":\"1\"}", withEnv);
        var s = System.Text.Json.JsonSerializer.Deserialize<Sandbox>("""{"id":"i","name":"n","template_name":"t","dataplane_url":"http://x","status":"ready","created_at":"2026-11-22T00:08:45.9322352Z","mem_bytes":536870912,"vcpus":2,"future_field":1}""", new global::Sandbox.Client.Protocol.SeedDialect("http://h").Json)!;
        Assert.Equal("n", s.SandboxName);
        Assert.Equal("t", s.TemplateName);
        Assert.Equal(512, s.MemoryMB);
        Assert.True(s.IsReady);
        Assert.Equal(2026, s.CreatedAt!.Value.Year);
    }
}
