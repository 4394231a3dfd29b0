import { describe, expect, it } from "vitest";
import { renderCommand } from "../../../src/core/command.js";
import * as c from "../../../src/podman/container.js";
import { buildImage, imageExists, inspectImage, pullImage } from "../../../src/podman/image.js";
import { createNetwork, networkExists } from "../../../src/podman/network.js";
import { createSecret, inspectSecrets, removeSecret, secretExists } from "../../../src/podman/secret.js";

describe("podman container commands", () => {
  const full: c.ContainerSpec = {
    name: "mastodon-web",
    image: "localhost/micropod/mastodon",
    labels: { "com.docker.compose.service": "web", "com.docker.compose.project": "mastodon" },
    annotations: { "com.micropod.jail.profile": "postgresql" },
    networks: [{ name: "micropod", ipv4: "10.89.0.30", ipv6: "fd00:10:89::30", aliases: ["web"] }],
    volumes: [
      { type: "bind", source: "/var/db/micropod/public", target: "/app/public", readOnly: true },
      { type: "volume", source: "mastodon_cache", target: "/cache" },
      { type: "tmpfs", target: "/tmp" },
    ],
    ports: ["127.0.0.1:3000:3000/tcp"],
    extraHosts: ["db=10.89.0.10", "redis:10.89.0.11"],
    env: { RAILS_ENV: "production", DB_HOST: "10.89.0.10" },
    secrets: [{ name: "mastodon_db_pass", type: "env", target: "DB_PASS" }],
    restart: "always",
    stopTimeoutSec: 30,
    stopSignal: "SIGINT",
    logDriver: "k8s-file",
    logOptions: { path: "/var/log/containers/web.log", "max-size": "10m" },
    user: "mastodon",
    workdir: "/app",
    hostname: "web",
    entrypoint: ["/usr/local/bin/tini", "--"],
    command: ["bundle", "exec", "puma"],
  };

  it("renders every create flag in a stable order, secrets only by name", () => {
    expect(renderCommand(c.createContainer(full))).toBe(
      "podman create --name mastodon-web --label com.docker.compose.project=mastodon --label com.docker.compose.service=web " +
        "--annotation com.micropod.jail.profile=postgresql --network micropod --ip 10.89.0.30 --ip6 fd00:10:89::30 --network-alias web " +
        "--add-host db:10.89.0.10 --add-host redis:10.89.0.11 --volume /var/db/micropod/public:/app/public:ro --volume mastodon_cache:/cache --tmpfs /tmp " +
        "--publish 127.0.0.1:3000:3000/tcp --env DB_HOST=10.89.0.10 --env RAILS_ENV=production --secret mastodon_db_pass,type=env,target=DB_PASS " +
        "--restart always --stop-timeout 30 --stop-signal SIGINT --log-driver k8s-file --log-opt max-size=10m --log-opt path=/var/log/containers/web.log " +
        `--user mastodon --workdir /app --hostname web --entrypoint '["/usr/local/bin/tini","--"]' localhost/micropod/mastodon bundle exec puma`,
    );
  });

  it("run is create with --detach; a one-word entrypoint is passed as is", () => {
    expect(renderCommand(c.runContainer({ name: "x", image: "img", entrypoint: ["/bin/sh"], command: ["-c", "echo hi"] }))).toBe(
      "podman run --detach --name x --entrypoint /bin/sh img -c 'echo hi'",
    );
  });

  it("several networks use per-network options; network_mode replaces them", () => {
    const nets = [
      { name: "a", ipv4: "10.0.0.2", ipv6: "fd00::2", aliases: ["x"] },
      { name: "b" },
    ];
    expect(renderCommand(c.createContainer({ name: "n", image: "i", networks: nets }))).toBe("podman create --name n --network a:ip=10.0.0.2,ip=fd00::2,alias=x --network b i");
    expect(renderCommand(c.createContainer({ name: "n", image: "i", networks: nets, networkMode: "host" }))).toBe("podman create --name n --network host i");
  });

  it("lifecycle verbs", () => {
    expect(renderCommand(c.startContainer("a"))).toBe("podman start a");
    expect(renderCommand(c.stopContainer("a", 120))).toBe("podman stop --time 120 a");
    expect(renderCommand(c.stopContainer("a"))).toBe("podman stop a");
    expect(renderCommand(c.restartContainer("a", 5))).toBe("podman restart --time 5 a");
    expect(renderCommand(c.removeContainer("a", { force: true, timeoutSec: 0 }))).toBe("podman rm --force --time 0 a");
    expect(renderCommand(c.waitContainer("a"))).toBe("podman wait a");
    expect(renderCommand(c.execInContainer("a", ["pg_isready", "-h", "127.0.0.1"], { env: { PGUSER: "mastodon" }, user: "postgres" }))).toBe(
      "podman exec --env PGUSER=mastodon --user postgres a pg_isready -h 127.0.0.1",
    );
    expect(renderCommand(c.inspectContainer("a", "b"))).toBe("podman container inspect a b");
    expect(renderCommand(c.listContainers({ "io.podman.compose.project": "mastodon", "com.docker.compose.project": "mastodon" }))).toBe(
      "podman ps --all --format json --filter=label=com.docker.compose.project=mastodon --filter=label=io.podman.compose.project=mastodon",
    );
    expect(renderCommand(c.containerLogs("a", { tail: 20, follow: true }))).toBe("podman logs --tail 20 --follow a");
  });

  it("read-only commands say so, changing ones do not", () => {
    expect(c.listContainers().mutates).toBe(false);
    expect(c.inspectContainer("a").mutates).toBe(false);
    expect(c.startContainer("a").mutates).toBeUndefined();
  });
});

describe("podman image, network and secret commands", () => {
  it("build with file, args, labels, target and tags", () => {
    const cmd = buildImage({
      context: "/suite/redis",
      file: "/suite/redis/Containerfile",
      tags: ["localhost/micropod/redis:latest"],
      buildArgs: { FREEBSD_RELEASE: "15.0", A: "1" },
      labels: { "micropod.input-hash": "abc" },
      target: "final",
    });
    expect(renderCommand(cmd)).toBe(
      "podman build --file /suite/redis/Containerfile --build-arg A=1 --build-arg FREEBSD_RELEASE=15.0 --label micropod.input-hash=abc --target final --tag localhost/micropod/redis:latest /suite/redis",
    );
  });

  it("images", () => {
    expect(renderCommand(imageExists("i"))).toBe("podman image exists i");
    expect(renderCommand(inspectImage("i", "j"))).toBe("podman image inspect i j");
    expect(renderCommand(pullImage("docker.io/freebsd/freebsd-notoolchain:15.0"))).toBe("podman pull docker.io/freebsd/freebsd-notoolchain:15.0");
  });

  it("networks: a dual-stack bridge pairs each subnet with its gateway", () => {
    expect(renderCommand(networkExists("micropod"))).toBe("podman network exists micropod");
    const cmd = createNetwork({
      name: "micropod",
      ipv6: true,
      labels: { "com.docker.compose.project": "mastodon" },
      subnets: [
        { subnet: "10.89.0.0/24", gateway: "10.89.0.1" },
        { subnet: "fd00:10:89::/64", gateway: "fd00:10:89::1" },
      ],
    });
    expect(renderCommand(cmd)).toBe(
      "podman network create --driver bridge --label com.docker.compose.project=mastodon --ipv6 --subnet 10.89.0.0/24 --gateway 10.89.0.1 --subnet fd00:10:89::/64 --gateway fd00:10:89::1 micropod",
    );
    // Compose driver_opts are podman's --opt, in a stable order.
    expect(renderCommand(createNetwork({ name: "n", options: { mtu: "1400", isolate: "true" } }))).toBe("podman network create --driver bridge --opt isolate=true --opt mtu=1400 n");
  });

  it("secrets: the value goes in podman's environment, never argv, and is masked when rendered", () => {
    const cmd = createSecret("mastodon_db_pass", "s3cret-value-123", { "micropod.value-hash": "h" });
    expect(cmd.argv.join(" ")).not.toContain("s3cret-value-123");
    expect(cmd.env).toEqual({ MICROPOD_SECRET_VALUE: "s3cret-value-123" });
    expect(renderCommand(cmd)).toBe("MICROPOD_SECRET_VALUE='********' podman secret create --label micropod.value-hash=h --env mastodon_db_pass MICROPOD_SECRET_VALUE");
    expect(renderCommand(removeSecret("x"))).toBe("podman secret rm x");
    expect(renderCommand(secretExists("x"))).toBe("podman secret inspect --format '{{.ID}}' x");
    expect(renderCommand(inspectSecrets("x", "y"))).toBe("podman secret inspect x y");
  });
});
