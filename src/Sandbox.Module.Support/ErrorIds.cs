using Sandbox.Client;

namespace Sandbox.Module.Support;

/// <summary>
/// Names of PowerShell's <c>ErrorCategory</c> values, as strings so that this assembly needs no PowerShell reference.
/// A cmdlet maps <see cref="ErrorIds.CategoryName"/> with <c>Enum.Parse&lt;ErrorCategory&gt;</c>.
/// </summary>
public static class SandboxErrorCategory
{
    /// <summary><c>NotSpecified</c>.</summary>
    public const string NotSpecified = "NotSpecified";
    /// <summary><c>ObjectNotFound</c>.</summary>
    public const string ObjectNotFound = "ObjectNotFound";
    /// <summary><c>ResourceExists</c>.</summary>
    public const string ResourceExists = "ResourceExists";
    /// <summary><c>ResourceBusy</c>.</summary>
    public const string ResourceBusy = "ResourceBusy";
    /// <summary><c>InvalidArgument</c>.</summary>
    public const string InvalidArgument = "InvalidArgument";
    /// <summary><c>InvalidOperation</c>.</summary>
    public const string InvalidOperation = "InvalidOperation";
    /// <summary><c>QuotaExceeded</c>.</summary>
    public const string QuotaExceeded = "QuotaExceeded";
    /// <summary><c>AuthenticationError</c>.</summary>
    public const string AuthenticationError = "AuthenticationError";
    /// <summary><c>PermissionDenied</c>.</summary>
    public const string PermissionDenied = "PermissionDenied";
    /// <summary><c>OperationTimeout</c>.</summary>
    public const string OperationTimeout = "OperationTimeout";
    /// <summary><c>ConnectionError</c>.</summary>
    public const string ConnectionError = "ConnectionError";
    /// <summary><c>NotImplemented</c>.</summary>
    public const string NotImplemented = "NotImplemented";
    /// <summary><c>InvalidResult</c>.</summary>
    public const string InvalidResult = "InvalidResult";
}

/// <summary>An error of the module's own (not of the SDK) that knows its stable id and category.</summary>
public interface IModuleError
{
    /// <summary>The stable <c>FullyQualifiedErrorId</c> prefix.</summary>
    string ErrorId { get; }

    /// <summary>The name of the <c>ErrorCategory</c> that fits.</summary>
    string CategoryName { get; }
}

/// <summary>
/// The module's stable error ids (the <c>FullyQualifiedErrorId</c> prefix users match on, e.g. <c>SandboxNotFound</c>) and
/// categories for the SDK's exceptions: the SDK says what kind of failure it was and about what, the module names it.
/// These ids are a public contract of the module: the Pester and in-process tests assert them.
/// </summary>
public static class ErrorIds
{
    /// <summary>The stable error id of <paramref name="e"/>.</summary>
    public static string ErrorId(this SandboxApiException e) => e switch
    {
        IModuleError own => own.ErrorId,
        SandboxNotFoundException => e.ErrorType switch
        {
            "TemplateNotFound" => "TemplateNotFound",
            "PoolNotFound" => "PoolNotFound",
            "VolumeNotFound" => "VolumeNotFound",
            "SnapshotNotFound" => "SnapshotNotFound",
            "RegistryNotFound" => "RegistryNotFound",
            "NotFound" => "SandboxPathNotFound",
            "CommandNotFound" => "SandboxCommandNotFound",
            "SessionExpired" => "SandboxCommandSessionExpired",
            _ => "SandboxNotFound",
        },
        SandboxNameConflictException => e.ErrorType switch
        {
            "TemplateAlreadyExists" => "TemplateAlreadyExists",
            "PoolAlreadyExists" => "PoolAlreadyExists",
            "VolumeAlreadyExists" => "VolumeAlreadyExists",
            "SnapshotAlreadyExists" => "SnapshotAlreadyExists",
            "RegistryAlreadyExists" => "RegistryAlreadyExists",
            _ => "SandboxAlreadyExists",
        },
        SandboxResourceInUseException => e.ErrorType switch
        {
            "TemplateInUse" => "TemplateInUse",
            "VolumeInUse" => "VolumeInUse",
            _ => "SandboxResourceInUse",
        },
        SandboxValidationException => "SandboxValidationFailed",
        SandboxNotSupportedException => "SandboxNotSupported",
        SandboxQuotaExceededException => "SandboxQuotaExceeded",
        SandboxAuthenticationException => e.StatusCode == 403 ? "SandboxAccessDenied" : "SandboxAuthenticationFailed",
        SandboxCommandTimeoutException => "SandboxCommandTimeout",
        SandboxTimeoutException => "SandboxTimeout",
        SandboxConnectionException => "SandboxConnectionFailed",
        _ => e.ErrorType switch
        {
            "NotReady" => "SandboxNotReady",
            "SandboxFailed" => "SandboxFailed",
            "SnapshotFailed" => "SnapshotFailed",
            "PermissionDenied" => "SandboxPathAccessDenied",
            "PayloadTooLarge" => "SandboxPayloadTooLarge",
            "OutputLost" => "SandboxCommandOutputLost",
            _ => "SandboxApiError",
        },
    };

    /// <summary>The name of the <c>ErrorCategory</c> that fits <paramref name="e"/> (see <see cref="SandboxErrorCategory"/>).</summary>
    public static string CategoryName(this SandboxApiException e) => e switch
    {
        IModuleError own => own.CategoryName,
        SandboxNotFoundException => SandboxErrorCategory.ObjectNotFound,
        SandboxNameConflictException => SandboxErrorCategory.ResourceExists,
        SandboxResourceInUseException => SandboxErrorCategory.ResourceBusy,
        SandboxValidationException => SandboxErrorCategory.InvalidArgument,
        SandboxNotSupportedException => SandboxErrorCategory.NotImplemented,
        SandboxQuotaExceededException => SandboxErrorCategory.QuotaExceeded,
        SandboxAuthenticationException => e.StatusCode == 403 ? SandboxErrorCategory.PermissionDenied : SandboxErrorCategory.AuthenticationError,
        SandboxTimeoutException => SandboxErrorCategory.OperationTimeout,
        SandboxConnectionException => SandboxErrorCategory.ConnectionError,
        _ => e.ErrorType switch
        {
            "NotReady" => SandboxErrorCategory.InvalidOperation,
            "SandboxFailed" or "SnapshotFailed" => SandboxErrorCategory.InvalidResult,
            "PermissionDenied" => SandboxErrorCategory.PermissionDenied,
            "PayloadTooLarge" => SandboxErrorCategory.InvalidArgument,
            _ => SandboxErrorCategory.NotSpecified,
        },
    };
}
