"""Legacy ``dev.packages`` entries (Nix attribute paths) -> Debian package names.

v2 recipes installed tools from nixpkgs (``nixpkgs.go``, ``nixpkgs.nodejs_18``); v3
installs them with apt-get on the base image. Only names that Debian 12 ships under
the *same* name are translated automatically: anything else would silently change
what gets installed (another version, another build), so it becomes a TODO with a
suggestion the user has to confirm.
"""

from __future__ import annotations

# Nix attribute names whose Debian 12 (bookworm) package has the same name.
SAME_NAME = frozenset(
    {
        "autoconf",
        "automake",
        "bash",
        "bison",
        "cmake",
        "curl",
        "flex",
        "gawk",
        "gcc",
        "gdb",
        "git",
        "gnupg",
        "htop",
        "jq",
        "less",
        "make",
        "meson",
        "nano",
        "nodejs",
        "openssl",
        "patch",
        "pkg-config",
        "postgresql",
        "python3",
        "redis",
        "rsync",
        "ruby",
        "sqlite3",
        "strace",
        "tar",
        "tmux",
        "tree",
        "unzip",
        "vim",
        "wget",
        "zip",
        "zsh",
    }
)

# Advice for Nix names whose Debian name differs (or is only close): never applied.
SUGGESTIONS = {
    "cargo": "try cargo (Debian's Rust, which may be older than nixpkgs')",
    "docker": "try docker.io (Debian's Docker Engine)",
    "gnumake": "try make",
    "go": "try golang-go (Debian's Go, which may be older than nixpkgs')",
    "kubectl": "install the kubectl binary with a command step",
    "ninja": "try ninja-build",
    "nodePackages.pnpm": "run 'npm install -g pnpm' in a command step",
    "nodePackages.yarn": "try yarnpkg",
    "openjdk": "try default-jdk",
    "python": "try python3",
    "rustc": "try rustc (Debian's Rust, which may be older than nixpkgs')",
    "terraform": "add HashiCorp's apt repository with extra_repositories",
}

# Versioned Nix attributes (``nodejs_18``, ``python38``) name a release Debian does
# not offer side by side; the unversioned Debian package is the closest suggestion.
_VERSIONED = {
    "nodejs": "nodejs",
    "python": "python3",
    "openjdk": "default-jdk",
    "go_": "golang-go",
    "postgresql_": "postgresql",
    "ruby_": "ruby",
}


def debian_name(nix_name: str) -> str | None:
    """The Debian package of the same name as ``nix_name`` (without ``nixpkgs.``)."""
    return nix_name if nix_name in SAME_NAME else None


def suggestion(nix_name: str) -> str:
    """What to do about a Nix name that has no same-named Debian package."""
    if nix_name in SUGGESTIONS:
        return SUGGESTIONS[nix_name]
    for prefix, debian in _VERSIONED.items():
        rest = nix_name[len(prefix) :].lstrip("_")
        if nix_name.startswith(prefix) and rest.isdigit():
            return f"try {debian} (Debian's version, not {nix_name}'s)"
    return "install it with a command step"
