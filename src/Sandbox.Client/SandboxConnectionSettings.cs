namespace Sandbox.Client;

/// <summary>Where a setting of a <see cref="SandboxConnectionSettings"/> came from.</summary>
public enum SandboxSettingSource
{
    /// <summary>Not found anywhere (only possible for the API key).</summary>
    None,

    /// <summary>Given explicitly by the caller (e.g. a command-line parameter).</summary>
    Explicit,

    /// <summary>From <c>SANDBOX_ENDPOINT</c> or <c>SANDBOX_API_KEY</c>.</summary>
    SandboxEnvironment,

    /// <summary>From <c>LANGSMITH_ENDPOINT</c> or <c>LANGSMITH_API_KEY</c>.</summary>
    LangSmithEnvironment,

    /// <summary>The local server: its default address or its key file.</summary>
    LocalServer,

    /// <summary>leap0's variables (<c>LEAP0_BASE_URL</c>, <c>LEAP0_API_KEY</c>), or leap0's default base URL.</summary>
    Leap0Environment,
}

/// <summary>
/// What the configuration chain reads from the machine: environment variables, whether the user is root,
/// the home directory and files. Tests pass their own so that nothing touches the real process environment.
/// </summary>
public sealed class SandboxEnvironment
{
    /// <summary>The real process environment and file system.</summary>
    public static SandboxEnvironment Process { get; } = new();

    /// <summary>Reads an environment variable; null when unset.</summary>
    public Func<string, string?> GetVariable { get; init; } = Environment.GetEnvironmentVariable;

    /// <summary>Whether the current user is root (uid 0); decides the local server's data directory.</summary>
    public Func<bool> IsRoot { get; init; } = DefaultIsRoot;

    /// <summary>The user's home directory.</summary>
    public Func<string> HomeDirectory { get; init; } = () => Environment.GetFolderPath(Environment.SpecialFolder.UserProfile);

    /// <summary>Reads a whole (small) text file; null when it does not exist or cannot be read.</summary>
    public Func<string, string?> ReadFile { get; init; } = DefaultReadFile;

    /// <summary>An environment made of the given variables only, with no root, the given home and no files.</summary>
    public static SandboxEnvironment FromVariables(IReadOnlyDictionary<string, string> variables, bool isRoot = false, string home = "/home/test", IReadOnlyDictionary<string, string>? files = null) => new()
    {
        GetVariable = name => variables.TryGetValue(name, out var v) ? v : null,
        IsRoot = () => isRoot,
        HomeDirectory = () => home,
        ReadFile = path => files is not null && files.TryGetValue(path, out var text) ? text : null,
    };

    private static bool DefaultIsRoot()
    {
        if (OperatingSystem.IsWindows()) return false;
        try
        {
            // /proc/self/status has "Uid:\treal\teffective\t..."; Environment.UserName is "root" for uid 0 as a fallback.
            foreach (var line in File.ReadLines("/proc/self/status"))
                if (line.StartsWith("Uid:", StringComparison.Ordinal))
                {
                    var parts = line.Split((char[]?)null, StringSplitOptions.RemoveEmptyEntries);
                    return parts.Length > 2 && parts[2] == "0";
                }
        }
        catch (IOException)
        {
        }
        catch (UnauthorizedAccessException)
        {
        }
        return Environment.UserName == "root";
    }

    private static string? DefaultReadFile(string path)
    {
        try
        {
            return File.Exists(path) ? File.ReadAllText(path) : null;
        }
        catch (IOException)
        {
            return null;
        }
        catch (UnauthorizedAccessException)
        {
            return null;
        }
    }
}

/// <summary>
/// The endpoint and API key a <see cref="SandboxClient"/> talks to, resolved through the configuration chain:
/// explicit values, then <c>SANDBOX_ENDPOINT</c>/<c>SANDBOX_API_KEY</c>, then <c>LANGSMITH_ENDPOINT</c>/<c>LANGSMITH_API_KEY</c>,
/// then the local server (<see cref="DefaultLocalEndpoint"/> and its key file).
/// </summary>
public sealed class SandboxConnectionSettings
{
    /// <summary>The local server's default address.</summary>
    public const string DefaultLocalEndpoint = "http://127.0.0.1:8765";

    /// <summary>The control plane's path under an endpoint.</summary>
    public const string ControlPlanePath = "/v2/sandboxes";

    /// <summary>Creates settings from an endpoint (with or without the <c>/v2/sandboxes</c> suffix) and a key.</summary>
    /// <param name="endpoint">An absolute http or https URL.</param>
    /// <param name="apiKey">The key sent as <c>X-Api-Key</c>; null sends none.</param>
    /// <exception cref="ArgumentException">The endpoint is not an absolute http(s) URL.</exception>
    public SandboxConnectionSettings(string endpoint, string? apiKey)
        : this(endpoint, apiKey, SandboxSettingSource.Explicit, apiKey is null ? SandboxSettingSource.None : SandboxSettingSource.Explicit, null)
    {
    }

    private SandboxConnectionSettings(string endpoint, string? apiKey, SandboxSettingSource endpointSource, SandboxSettingSource keySource, string? keyFile)
    {
        (Endpoint, ControlPlaneBaseUrl) = NormalizeEndpoint(endpoint);
        ApiKey = string.IsNullOrEmpty(apiKey) ? null : apiKey;
        EndpointSource = endpointSource;
        ApiKeySource = ApiKey is null ? SandboxSettingSource.None : keySource;
        LocalKeyFile = keyFile;
    }

    /// <summary>Settings for a local server found or started by the module: the endpoint and key file are the server's own.</summary>
    /// <param name="endpoint">The server's address.</param>
    /// <param name="apiKey">The key read from its key file, or null.</param>
    /// <param name="keyFile">That key file.</param>
    public static SandboxConnectionSettings ForLocalServer(string endpoint, string? apiKey, string? keyFile) =>
        new(endpoint, apiKey, SandboxSettingSource.LocalServer, SandboxSettingSource.LocalServer, keyFile);

    /// <summary>
    /// True when <paramref name="other"/> names the same endpoint and key, found the same way. A key from the local server's
    /// key file is not compared: the file appears when the server first starts, after the chain was first resolved.
    /// </summary>
    public bool SameTarget(SandboxConnectionSettings other) =>
        string.Equals(Endpoint, other.Endpoint, StringComparison.OrdinalIgnoreCase) && EndpointSource == other.EndpointSource
        && (EndpointSource == SandboxSettingSource.LocalServer && KeyFromLocalServer(this) && KeyFromLocalServer(other)
            || ApiKeySource == other.ApiKeySource && ApiKey == other.ApiKey);

    private static bool KeyFromLocalServer(SandboxConnectionSettings s) => s.ApiKeySource is SandboxSettingSource.None or SandboxSettingSource.LocalServer;

    /// <summary>The endpoint without a trailing <c>/</c> and without the control-plane suffix, e.g. <c>http://127.0.0.1:8765</c>.</summary>
    public string Endpoint { get; }

    /// <summary>The control plane's base URL, <c>{Endpoint}/v2/sandboxes</c> (or the <c>/api/v2/sandboxes</c> form when the endpoint was given so).</summary>
    public string ControlPlaneBaseUrl { get; }

    /// <summary>The API key, or null when none was found (requests then fail with an authentication error).</summary>
    public string? ApiKey { get; }

    /// <summary>Where <see cref="Endpoint"/> came from.</summary>
    public SandboxSettingSource EndpointSource { get; }

    /// <summary>Where <see cref="ApiKey"/> came from.</summary>
    public SandboxSettingSource ApiKeySource { get; }

    /// <summary>True when the endpoint is the local server (no endpoint was configured).</summary>
    public bool IsLocalServer => EndpointSource == SandboxSettingSource.LocalServer;

    /// <summary>The local server's key file that was consulted, when the chain reached it.</summary>
    public string? LocalKeyFile { get; }

    /// <summary>
    /// Resolves the configuration chain. Endpoint: <paramref name="endpoint"/>, <c>SANDBOX_ENDPOINT</c>, <c>LANGSMITH_ENDPOINT</c>,
    /// <see cref="DefaultLocalEndpoint"/>. Key: <paramref name="apiKey"/>, <c>SANDBOX_API_KEY</c>, <c>LANGSMITH_API_KEY</c>, then the local
    /// server's key file, read only when the endpoint is on the loopback interface so that the local key never goes elsewhere.
    /// </summary>
    /// <param name="endpoint">An explicit endpoint, or null.</param>
    /// <param name="apiKey">An explicit key, or null.</param>
    /// <param name="environment">What to read variables and files from; the real process by default.</param>
    /// <exception cref="ArgumentException">The endpoint found is not an absolute http(s) URL.</exception>
    public static SandboxConnectionSettings Resolve(string? endpoint = null, string? apiKey = null, SandboxEnvironment? environment = null)
    {
        var env = environment ?? SandboxEnvironment.Process;
        string? Var(string name) => env.GetVariable(name) is { Length: > 0 } v && !string.IsNullOrWhiteSpace(v) ? v.Trim() : null;

        SandboxSettingSource endpointSource;
        if (!string.IsNullOrWhiteSpace(endpoint)) endpointSource = SandboxSettingSource.Explicit;
        else if ((endpoint = Var("SANDBOX_ENDPOINT")) is not null) endpointSource = SandboxSettingSource.SandboxEnvironment;
        else if ((endpoint = Var("LANGSMITH_ENDPOINT")) is not null) endpointSource = SandboxSettingSource.LangSmithEnvironment;
        else
        {
            endpoint = LocalEndpoint(env);
            endpointSource = SandboxSettingSource.LocalServer;
        }

        SandboxSettingSource keySource;
        string? keyFile = null;
        if (!string.IsNullOrEmpty(apiKey)) keySource = SandboxSettingSource.Explicit;
        else if ((apiKey = Var("SANDBOX_API_KEY")) is not null) keySource = SandboxSettingSource.SandboxEnvironment;
        else if ((apiKey = Var("LANGSMITH_API_KEY")) is not null) keySource = SandboxSettingSource.LangSmithEnvironment;
        else
        {
            keySource = SandboxSettingSource.LocalServer;
            if (endpointSource == SandboxSettingSource.LocalServer || IsLoopback(endpoint))
            {
                keyFile = LocalKeyFilePath(env);
                apiKey = env.ReadFile(keyFile)?.Trim();
            }
        }
        return new SandboxConnectionSettings(endpoint, apiKey, endpointSource, keySource, keyFile);
    }

    /// <summary>leap0's base URL when neither an argument nor <c>LEAP0_BASE_URL</c> gives one (its SDK's default).</summary>
    public const string DefaultLeap0BaseUrl = "https://api.leap0.dev";

    /// <summary>
    /// leap0's configuration chain, as its SDK reads it: the base URL from <paramref name="endpoint"/>, else
    /// <c>LEAP0_BASE_URL</c>, else <see cref="DefaultLeap0BaseUrl"/>; the key from <paramref name="apiKey"/>, else
    /// <c>LEAP0_API_KEY</c>. No local key file: leap0 keys are the account's.
    /// </summary>
    public static SandboxConnectionSettings ResolveLeap0(string? endpoint = null, string? apiKey = null, SandboxEnvironment? environment = null)
    {
        var env = environment ?? SandboxEnvironment.Process;
        var endpointSource = SandboxSettingSource.Explicit;
        if (string.IsNullOrWhiteSpace(endpoint))
        {
            endpoint = Leap0Variable(env, "LEAP0_BASE_URL") ?? DefaultLeap0BaseUrl;
            endpointSource = SandboxSettingSource.Leap0Environment;
        }
        var keySource = SandboxSettingSource.Explicit;
        if (string.IsNullOrEmpty(apiKey))
        {
            apiKey = Leap0Variable(env, "LEAP0_API_KEY");
            keySource = SandboxSettingSource.Leap0Environment;
        }
        return new SandboxConnectionSettings(endpoint, apiKey, endpointSource, keySource, null);
    }

    /// <summary>leap0's sandbox domain: <paramref name="domain"/>, else <c>LEAP0_SANDBOX_DOMAIN</c>, else null (the endpoint's host).</summary>
    public static string? ResolveLeap0SandboxDomain(string? domain = null, SandboxEnvironment? environment = null) =>
        !string.IsNullOrWhiteSpace(domain) ? domain.Trim().TrimEnd('/') : Leap0Variable(environment ?? SandboxEnvironment.Process, "LEAP0_SANDBOX_DOMAIN")?.TrimEnd('/');

    private static string? Leap0Variable(SandboxEnvironment env, string name) =>
        env.GetVariable(name) is { } v && !string.IsNullOrWhiteSpace(v) ? v.Trim() : null;

    /// <summary>
    /// The local server's address when nothing is configured: <see cref="DefaultLocalEndpoint"/>, or port
    /// <c>SANDBOX_LOCAL_PORT</c> on 127.0.0.1 (so that tests and a second user's module never touch port 8765).
    /// </summary>
    /// <exception cref="ArgumentException"><c>SANDBOX_LOCAL_PORT</c> is not a port number from 1 to 65535.</exception>
    public static string LocalEndpoint(SandboxEnvironment? environment = null)
    {
        var text = (environment ?? SandboxEnvironment.Process).GetVariable("SANDBOX_LOCAL_PORT");
        if (string.IsNullOrWhiteSpace(text)) return DefaultLocalEndpoint;
        if (!int.TryParse(text.Trim(), System.Globalization.NumberStyles.None, System.Globalization.CultureInfo.InvariantCulture, out var port) || port is < 1 or > 65535)
            throw new ArgumentException($"SANDBOX_LOCAL_PORT must be a port number from 1 to 65535 (got '{text}'); unset it for the default 8765", "SANDBOX_LOCAL_PORT");
        return $"http://127.0.0.1:{port}";
    }

    /// <summary>
    /// The local server's data directory: <c>SANDBOX_DATA_DIR</c> when set (an absolute path), else <c>/var/lib/sandbox</c>
    /// for root, else <c>$XDG_DATA_HOME/sandbox</c>, else <c>~/.local/share/sandbox</c>.
    /// </summary>
    public static string LocalDataDirectory(SandboxEnvironment? environment = null)
    {
        var env = environment ?? SandboxEnvironment.Process;
        if (env.GetVariable("SANDBOX_DATA_DIR") is { } configured && !string.IsNullOrWhiteSpace(configured) && Path.IsPathRooted(configured.Trim())) return configured.Trim();
        if (env.IsRoot()) return "/var/lib/sandbox";
        var xdg = env.GetVariable("XDG_DATA_HOME");
        if (!string.IsNullOrWhiteSpace(xdg) && Path.IsPathRooted(xdg)) return Path.Combine(xdg, "sandbox");
        return Path.Combine(env.HomeDirectory(), ".local", "share", "sandbox");
    }

    /// <summary>The local server's API key file, <c>{data directory}/api-key</c>.</summary>
    public static string LocalKeyFilePath(SandboxEnvironment? environment = null) => Path.Combine(LocalDataDirectory(environment), "api-key");

    /// <summary>
    /// Splits an endpoint into its normal form (no trailing <c>/</c>, no control-plane suffix) and the control-plane base URL.
    /// An endpoint that already ends in <c>/v2/sandboxes</c> or <c>/api/v2/sandboxes</c> is accepted as is.
    /// </summary>
    /// <exception cref="ArgumentException">Not an absolute http or https URL.</exception>
    public static (string Endpoint, string ControlPlaneBaseUrl) NormalizeEndpoint(string endpoint)
    {
        ArgumentNullException.ThrowIfNull(endpoint);
        var text = endpoint.Trim().TrimEnd('/');
        if (!Uri.TryCreate(text, UriKind.Absolute, out var uri) || (uri.Scheme != Uri.UriSchemeHttp && uri.Scheme != Uri.UriSchemeHttps) || !string.IsNullOrEmpty(uri.Query) || !string.IsNullOrEmpty(uri.Fragment))
            throw new ArgumentException($"'{endpoint}' is not a valid sandbox endpoint: expected an absolute http:// or https:// URL such as {DefaultLocalEndpoint}", nameof(endpoint));
        if (text.EndsWith(ControlPlanePath, StringComparison.OrdinalIgnoreCase))
            return (text[..^ControlPlanePath.Length].TrimEnd('/'), text);
        return (text, text + ControlPlanePath);
    }

    private static bool IsLoopback(string endpoint) =>
        Uri.TryCreate(endpoint.Trim(), UriKind.Absolute, out var uri) && uri.IsLoopback;

    /// <summary>The endpoint and where it and the key came from; never the key itself.</summary>
    public override string ToString() => $"{Endpoint} (endpoint: {EndpointSource}, key: {ApiKeySource})";
}
