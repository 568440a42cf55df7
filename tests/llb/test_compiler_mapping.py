"""The recipe -> LLB mapping of issue 3, checked on the decoded Definition."""

from __future__ import annotations

import pytest

from llb import RecipeError, TeamNames
from llb.pb import ops_pb2 as pb
from tests.llb.compile_helpers import compile_text, launch_manifest, named, ops, payload_of

TEAM = TeamNames(
    variables={"REGISTRY_URL": "https://npm.example"}, secrets={"NPM_TOKEN": "7", "DEPLOY_KEY": "1"}
)

RECIPE = """\
version: "3"
environment:
  - {name: LEVEL, value: 1.10}
build:
  environment:
    - {name: NPM_TOKEN, value: "{{secret:team.NPM_TOKEN}}"}
    - {name: REGISTRY_URL, value: "{{ secret:team.REGISTRY_URL }}"}
  steps:
    - type: apt-get
      packages: [curl, jq]
    - type: command
      name: configure npm
      command: |
        # write npmrc
        echo "//r/:_authToken=$NPM_TOKEN" > ~/.npmrc
      directory: projects
      environment:
        - {name: LEVEL, value: "2"}
    - type: file
      path: /home/devzero/.config/app/app.conf
      permissions: "0600"
      user: devzero
      content: "a = 1\\n"
    - type: directory
      path: /srv/data
      user: devzero
      group: staff
    - type: git-clone
      url: https://github.com/org/repo.git
      branch: main
launch:
  steps:
    - type: command
      command: echo started
runtime:
  environment:
    - {name: PATH, value: "/opt/bin:$PATH"}
"""


@pytest.fixture(scope="module")
def result():
    return compile_text(RECIPE, TEAM)


def test_setup_ops_come_first(result):
    (d0, base, _), (_, launcher, _), (_, copy_op, m2), (_, layout, m3) = ops(result)[:4]
    assert (
        base.source.identifier == "docker-image://127.0.0.1:5000/library/devbox@sha256:" + "1" * 64
    )
    assert launcher.source.identifier.startswith("docker-image://127.0.0.1:5000/library/dzlaunch@")
    (action,) = copy_op.file.actions
    assert (action.copy.src, action.copy.dest) == ("/dzlaunch", "/usr/lib/devzero/bin/dzlaunch")
    assert copy_op.inputs[0].digest == d0
    assert [a.mkdir.path for a in layout.file.actions] == [
        "/usr/lib/devzero/startup-scripts",
        "/home/devzero",
    ]
    assert m2["description"]["llb.customname"] == "[setup] copy dzlaunch"


def test_command_step_exec(result):
    _, op = named(result, "[build 2/5] configure npm")
    meta = op.exec.meta
    assert (meta.user, meta.cwd) == ("devzero", "/home/devzero/projects")
    # PATH explicit and first; literal values as written; step env overrides top-level;
    # the team last (test_compiler_cache_scope.py)
    assert list(meta.env) == [
        "PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin",
        "LEVEL=2",
        "REGISTRY_URL=https://npm.example",
        "DZ_BUILD_TEAM=team-a",
    ]
    assert op.exec.network == pb.NetMode.HOST
    payload = payload_of(op)
    assert payload == {
        "v": 1,
        "id": "1-build-step-1",
        "phase": "build",
        "name": 'echo "//r/:_authToken=$NPM_TOKEN" > ~/.npmrc',
        "script": '# write npmrc\necho "//r/:_authToken=$NPM_TOKEN" > ~/.npmrc\n',
        "shell": "/bin/bash -l -o errexit -o pipefail {}",
        "directory": "/home/devzero/projects",
        "user": "devzero",
        "secret_env": [{"name": "NPM_TOKEN", "template": "{{secret:team.NPM_TOKEN}}"}],
        "secret_files": {"team.NPM_TOKEN": "/run/dz/secrets/team.NPM_TOKEN"},
        "secret_versions": {"team.NPM_TOKEN": "7"},
    }
    secrets = [m for m in op.exec.mounts if m.mountType == pb.MountType.SECRET]
    assert [
        (m.dest, m.secretOpt.ID, m.secretOpt.uid, m.secretOpt.gid, m.secretOpt.mode)
        for m in secrets
    ] == [("/run/dz/secrets/team.NPM_TOKEN", "team.NPM_TOKEN", 1000, 1000, 0o400)]


def test_apt_step_runs_as_root_with_a_team_cache(result):
    _, op = named(result, "[build 1/5] apt-get install curl jq")
    assert op.exec.meta.user == "root"
    payload = payload_of(op)
    assert payload["user"] == "root" and payload["shell"] == "/bin/sh {}"
    assert "apt-get install -y --no-install-recommends curl jq\n" in payload["script"]
    assert "DEBIAN_FRONTEND=noninteractive" in payload["script"]
    (cache,) = [m for m in op.exec.mounts if m.mountType == pb.MountType.CACHE]
    assert (cache.dest, cache.cacheOpt.ID, cache.cacheOpt.sharing) == (
        "/var/cache/apt",
        "team-a/apt",
        pb.CacheSharingOpt.LOCKED,
    )
    (secret,) = [m for m in op.exec.mounts if m.mountType == pb.MountType.SECRET]
    assert (secret.secretOpt.uid, secret.secretOpt.ID) == (0, "team.NPM_TOKEN")


def test_file_steps_are_file_ops_and_directory_steps_apply_mode_and_owner(result):
    _, op = named(result, "[build 3/5] write /home/devzero/.config/app/app.conf")
    parent, mkfile = op.file.actions
    assert (parent.mkdir.path, parent.mkdir.mode, parent.mkdir.makeParents) == (
        "/home/devzero/.config/app",
        0o755,
        True,
    )
    assert (mkfile.mkfile.path, mkfile.mkfile.mode, mkfile.mkfile.data) == (
        "/home/devzero/.config/app/app.conf",
        0o600,
        b"a = 1\n",
    )
    assert mkfile.mkfile.owner.user.byName.name == "devzero"
    assert mkfile.mkfile.owner.group.byName.name == "devzero"
    # An existing directory must get the step's mode and owner too (spec §4.2), which
    # BuildKit's mkdir does not do: the step runs the same script as at launch, as root.
    _, op = named(result, "[build 4/5] mkdir /srv/data")
    payload = payload_of(op)
    assert op.exec.meta.user == "root" and payload["shell"] == "/bin/sh {}"
    assert payload["script"].splitlines()[1:] == [
        "mkdir -p /srv/data", "chown devzero:staff /srv/data", "chmod 0755 /srv/data"]


def test_git_clone_uses_the_git_source_and_copies_as_devzero(result):
    _, op = named(result, "[build 5/5] git clone https://github.com/org/repo.git", exact=True)
    (action,) = op.file.actions
    assert action.copy.dest == "/home/devzero/repo"
    assert action.copy.owner.user.byName.name == "devzero"
    _, source = named(result, "[build 5/5] git clone https://github.com/org/repo.git (fetch)")
    assert source.source.identifier == "git://github.com/org/repo.git#main"
    assert source.source.attrs["git.authtokensecret"] == "devzero.GITHUB_ACCESS_TOKEN"
    assert result.secret_ids == ("team.NPM_TOKEN", "devzero.GITHUB_ACCESS_TOKEN")


def test_steps_chain_in_order_with_source_lines(result):
    digests = {s.id: s.digest for s in result.steps}
    names = [s.name for s in result.steps if s.phase == "build"]
    assert names[1] == "[build 2/5] configure npm"
    assert [s.lines for s in result.steps][:2] == [(9, 10), (11, 18)]
    all_ops = {d: op for d, op, _ in ops(result)}
    assert all_ops[digests["1-build-step-1"]].inputs[0].digest == digests["1-build-step-0"]


def test_launch_manifest_runtime_script_and_image_config(result):
    manifest = launch_manifest(result)
    assert manifest["v"] == 1
    assert manifest["steps"] == [
        {
            "v": 1,
            "id": "2-launch-step-0",
            "phase": "launch",
            "name": "echo started",
            "script": "echo started",
            "shell": "/bin/bash -l -o errexit -o pipefail {}",
            "directory": "/home/devzero",
            "user": "devzero",
            "env": {"LEVEL": "1.10"},
        }
    ]
    assert manifest["volumes"][0] == {"path": "/home/devzero", "sub_path": "home"}
    _, op = named(result, "[runtime] write /etc/profile.d/dz-runtime-env.sh")
    assert op.file.actions[-1].mkfile.data.endswith(b'export PATH="/opt/bin:$PATH"\n')
    assert result.image_config == {
        "Env": ["PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin", "LEVEL=1.10"],
        "User": "root",
        "WorkingDir": "/home/devzero",
        "Entrypoint": ["/usr/lib/devzero/bin/dzlaunch", "--mode", "session", "--user", "devzero"],
        "Cmd": ["--launch", "/bin/sh", "-c", "exec tail -f /dev/null"],
    }


def test_rotating_a_secret_rebuilds_from_its_first_use():
    rotated = TeamNames(variables=TEAM.variables, secrets={**TEAM.secrets, "NPM_TOKEN": "8"})
    before = {s.id: s.digest for s in compile_text(RECIPE, TEAM).steps}
    after = {s.id: s.digest for s in compile_text(RECIPE, rotated).steps}
    changed = [k for k in before if before[k] != after[k]]
    assert changed == [
        "1-build-step-0",
        "1-build-step-1",
        "1-build-step-2",
        "1-build-step-3",
        "1-build-step-4",
    ]  # build env feeds every step


def test_renaming_a_step_changes_only_its_name():
    renamed = RECIPE.replace("name: configure npm", "name: set up npm")
    a, b = compile_text(RECIPE, TEAM), compile_text(renamed, TEAM)
    _, op_a = named(a, "[build 2/5]")
    _, op_b = named(b, "[build 2/5]")
    assert op_a.SerializeToString() == op_b.SerializeToString()


def test_network_modes():
    for mode, expected in [
        ("host", pb.NetMode.HOST),
        ("none", pb.NetMode.NONE),
        ("unset", pb.NetMode.UNSET),
    ]:
        result = compile_text(RECIPE, TEAM, network_mode=mode)
        _, op = named(result, "[build 1/5]")
        assert op.exec.network == expected


def test_team_data_errors_name_the_line():
    with pytest.raises(RecipeError) as info:
        compile_text(RECIPE, TeamNames(secrets={"NPM_TOKEN": "1"}))
    assert [d.headline() for d in info.value.diagnostics] == [
        "recipe.yaml:7:35: build.environment[1].value: unknown secret team.REGISTRY_URL"
    ]


def test_offline_mode_takes_team_names_as_secrets():
    result = compile_text(RECIPE, None)
    _, op = named(result, "[build 2/5]")
    assert payload_of(op)["secret_versions"] == {
        "team.NPM_TOKEN": "unknown",
        "team.REGISTRY_URL": "unknown",
    }


def test_secret_for_a_user_without_known_uid_is_an_error():
    text = RECIPE.replace(
        "      directory: projects\n", "      directory: projects\n      user: www\n"
    )
    with pytest.raises(RecipeError) as info:
        compile_text(text, TEAM)
    (diag,) = info.value.diagnostics
    assert diag.path == "build.steps[1].user" and "numeric uid" in diag.message


def test_image_outside_the_team_namespace():
    with pytest.raises(RecipeError) as info:
        compile_text('version: "3"\nimage: 127.0.0.1:5000/team-b/base:1\n')
    assert info.value.diagnostics[0].headline().startswith("recipe.yaml:2:8: image: image must be")
    compile_text('version: "3"\nimage: 127.0.0.1:5000/library/busybox:latest\n')


def test_secret_file_content_is_written_by_dzlaunch():
    result = compile_text(
        """\
        version: "3"
        build:
          steps:
            - type: file
              path: /etc/app/token
              permissions: "0400"
              user: devzero
              content: "token={{secret:team.NPM_TOKEN}}"
        """,
        TEAM,
    )
    _, op = named(result, "[build 1/1] write /etc/app/token")
    payload = payload_of(op)
    assert payload["secret_env"] == [
        {"name": "DZ_FILE_CONTENT", "template": "token={{secret:team.NPM_TOKEN}}"}
    ]
    assert "chmod 0400 /etc/app/token" in payload["script"]
    assert [w.path for w in result.warnings] == ["build.steps[0].content"]


def test_ssh_clone_runs_in_dzlaunch_with_the_key_mounted():
    result = compile_text(
        """\
        version: "3"
        build:
          steps:
            - type: git-clone
              url: git@github.com:org/private.git
              credentials: {type: ssh-private-key, value: "{{secret:team.DEPLOY_KEY}}"}
        """,
        TEAM,
    )
    _, op = named(result, "[build 1/1]")
    payload = payload_of(op)
    assert "ssh -i /run/dz/secrets/team.DEPLOY_KEY" in payload["script"]
    assert "git clone git@github.com:org/private.git /home/devzero/private" in payload["script"]
    (mount,) = [m for m in op.exec.mounts if m.mountType == pb.MountType.SECRET]
    assert (mount.secretOpt.ID, mount.secretOpt.uid) == ("team.DEPLOY_KEY", 1000)
