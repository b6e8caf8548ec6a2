/**
 * The sshd of a rehearsal of SSH hosts: a loopback OpenSSH sshd whose
 * sessions go through the rehearsal's gateway (see ssh-gateway.ts), so the
 * script the SSH functions send downloads the artifact from the simulated S3
 * and the virtual clock waits for the runs it starts. One sshd may serve
 * several rehearsals in turn (`bind` each).
 */
import type { Rehearsal } from '../rehearsal.ts';
import { startSshd, type Sshd } from './loopback-sshd.ts';
import { startSshGateway, type SshGateway } from './ssh-gateway.ts';

export interface RehearsalSshd extends Sshd {
  gateway: SshGateway;
  /** Serve `rehearsal` from now on: its S3 and its virtual clock. */
  bind(rehearsal: Rehearsal): void;
}

/** Start the gateway and the sshd in front of it; `stop()` stops both. */
export async function startRehearsalSshd(): Promise<RehearsalSshd> {
  const gateway = await startSshGateway();
  let sshd: Sshd;
  try {
    sshd = await startSshd({ forceCommand: gateway.forceCommand });
  } catch (error) {
    await gateway.close();
    throw error;
  }
  return {
    ...sshd,
    gateway,
    bind: (rehearsal) =>
      gateway.bind({
        s3: rehearsal.world.s3,
        now: () => rehearsal.clock.now(),
        hold: () => {
          rehearsal.clock.begin();
          return () => rehearsal.clock.end();
        },
      }),
    stop: async () => {
      await sshd.stop();
      await gateway.close();
    },
  };
}
