using Sandbox.Server.Runtime;
using Sandbox.Server.State;

namespace Sandbox.Server.Services;

/// <summary><c>POST /registries</c>: every field checked; <see cref="AuthType"/> is <c>DOCKER_CONFIG</c>.</summary>
public sealed record CreateRegistryRequest(string Name, string Url, string Username, string Password);

/// <summary><c>PATCH /registries/{name}</c>: null leaves a field as it is.</summary>
public sealed record UpdateRegistryRequest(string? Name, string? Url, string? Username, string? Password);

/// <summary>
/// Container registries of the current generation (credentials for pulling private images). The local server pulls
/// nothing, so a registry only names credentials that a snapshot's <c>registry_id</c> may refer to; it is kept so that
/// clients managing registries work. The password is written to <c>DATA/registries/ID.password</c> (0600, directory
/// 0700), never to <c>state.db</c>, and never returned by any route.
/// </summary>
public sealed class RegistryService(RegistryRepository rows, ServerOptions options, TimeProvider clock, ILogger<RegistryService> log)
{
    public const string AuthType = "DOCKER_CONFIG";

    private string Dir => PrivateFile.Directory(Path.Combine(options.DataDir, "registries"));

    /// <summary>Where a registry's password is kept (for tests and operators; nothing serves it).</summary>
    public string PasswordPath(string id) => Path.Combine(Dir, id + ".password");

    private static DomainException NotFound(string name) => new NotFoundException("RegistryNotFound", $"registry '{name}' not found");

    private static DomainException Taken(string name) => new ConflictException("RegistryAlreadyExists", $"registry '{name}' already exists");

    public RegistryRecord Get(string name) => rows.GetRegistryByName(name) ?? throw NotFound(name);

    public bool Exists(string id) => rows.GetRegistry(id) is not null;

    public List<RegistryRecord> List(int limit, int offset, string? nameContains) => rows.ListRegistries(limit, offset, nameContains);

    public RegistryRecord Create(CreateRegistryRequest request)
    {
        var now = clock.GetUtcNow().UtcDateTime;
        var record = new RegistryRecord { Id = Guid.NewGuid().ToString(), Name = request.Name, Url = request.Url, Username = request.Username, CreatedAt = now, UpdatedAt = now };
        // The password first: a row never names a registry whose password is missing.
        PrivateFile.Write(PasswordPath(record.Id), request.Password);
        try
        {
            rows.InsertRegistry(record);
        }
        catch (NameTakenException)
        {
            File.Delete(PasswordPath(record.Id));
            throw Taken(request.Name);
        }
        return record;
    }

    public RegistryRecord Update(string name, UpdateRegistryRequest request)
    {
        var current = Get(name);
        var updated = current with
        {
            Name = request.Name ?? current.Name,
            Url = request.Url ?? current.Url,
            Username = request.Username ?? current.Username,
            UpdatedAt = clock.GetUtcNow().UtcDateTime,
        };
        try
        {
            rows.UpdateRegistry(updated);
        }
        catch (NameTakenException)
        {
            throw Taken(updated.Name);
        }
        if (request.Password is { } password) PrivateFile.Write(PasswordPath(current.Id), password);
        return updated;
    }

    public void Delete(string name)
    {
        var current = Get(name);
        rows.DeleteRegistry(current.Id);
        File.Delete(PasswordPath(current.Id));
    }

    /// <summary>At start-up: password files of registries the state does not know (a crash between the two writes) and temps go.</summary>
    public void Reconcile()
    {
        var known = rows.AllRegistryIds().ToHashSet();
        foreach (var file in Directory.EnumerateFiles(Dir))
        {
            var id = Path.GetFileName(file).Split('.')[0];
            if (known.Contains(id) && file.EndsWith(".password", StringComparison.Ordinal)) continue; // temps of a killed write go too
            try { File.Delete(file); } catch (IOException e) { log.LogWarning("could not remove leftover registry file {File}: {Error}", file, e.Message); }
        }
    }
}
