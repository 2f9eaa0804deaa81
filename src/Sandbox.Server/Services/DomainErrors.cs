namespace Sandbox.Server.Services;

/// <summary>
/// What the domain reports when a request cannot be done: a stable error <see cref="Code"/> and a message for people.
/// Services know nothing of HTTP; Api/ErrorMiddleware maps each kind to a status and the wire's error body.
/// </summary>
public abstract class DomainException(string code, string message) : Exception(message)
{
    public string Code { get; } = code;
}

/// <summary>The named resource does not exist (404).</summary>
public sealed class NotFoundException(string code, string message) : DomainException(code, message);

/// <summary>The request clashes with what exists: a name taken, a resource in use, a range full (409).</summary>
public sealed class ConflictException(string code, string message) : DomainException(code, message);

/// <summary>A well-formed request that cannot be done, e.g. in the resource's present state (400).</summary>
public sealed class RejectedException(string code, string message) : DomainException(code, message);

/// <summary>The sandbox cannot serve the request now: it does not answer, or it is out of processes (503).</summary>
public sealed class UnavailableException(string code, string message) : DomainException(code, message);

/// <summary>The work did not finish within the time the request gave it (408).</summary>
public sealed class TimedOutException(string code, string message) : DomainException(code, message);
