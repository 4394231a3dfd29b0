import { constants } from "node:os";
import { describe, expect, it } from "vitest";
import { signalMismatchOnFreeBSD } from "../../../src/podman/signals.js";

describe("signal names under podman on FreeBSD", () => {
  it("passes numbers and the names both systems number alike", () => {
    for (const s of ["30", "15", "SIGTERM", "TERM", "sigquit", "SIGKILL", "SIGHUP", "SIGINT", "SIGTTIN", "SIGWINCH", "SIGSEGV"]) expect(signalMismatchOnFreeBSD(s)).toBeUndefined();
  });

  it("names what FreeBSD would deliver instead, and the number to write", () => {
    expect(signalMismatchOnFreeBSD("SIGUSR1")).toBe("podman sends SIGUSR1 as Linux's number 10, which FreeBSD delivers as SIGBUS: write 30, FreeBSD's SIGUSR1");
    expect(signalMismatchOnFreeBSD("USR2")).toBe("podman sends USR2 as Linux's number 12, which FreeBSD delivers as SIGSYS: write 31, FreeBSD's SIGUSR2");
    expect(signalMismatchOnFreeBSD("SIGSTOP")).toBe("podman sends SIGSTOP as Linux's number 19, which FreeBSD delivers as SIGCONT: write 17, FreeBSD's SIGSTOP");
    expect(signalMismatchOnFreeBSD("SIGPWR")).toBe("podman sends SIGPWR as Linux's number 30, which FreeBSD delivers as SIGUSR1: FreeBSD has no such signal");
    expect(signalMismatchOnFreeBSD("SIGNOPE")).toBe("SIGNOPE is not a signal podman knows");
  });

  it("holds podman's table to Linux's own numbers on this Linux machine", () => {
    // The test machine is Linux: node's numbers here are the ones podman's table carries.
    const linux = constants.signals as Record<string, number>;
    for (const name of ["SIGUSR1", "SIGUSR2", "SIGSTOP", "SIGCONT", "SIGTSTP", "SIGCHLD", "SIGBUS", "SIGSYS", "SIGURG", "SIGIO"]) {
      expect(signalMismatchOnFreeBSD(name), name).toContain(`Linux's number ${linux[name]},`);
    }
  });
});
