namespace SandboxModule;
