import {
  DeregisterTargetsCommand,
  DescribeTargetHealthCommand,
  ElasticLoadBalancingV2Client,
  InvalidTargetException,
  RegisterTargetsCommand,
} from '@aws-sdk/client-elastic-load-balancing-v2';
import { mkdir, mkdtemp, rm, symlink } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { LocalHost } from '../../simulator/vm/local-host.ts';
import { installWorld, rejectionOf, type InstalledWorld } from './world-fixture.ts';

const elb = new ElasticLoadBalancingV2Client({ region: 'us-east-1' });
const ELB = 'arn:aws:elasticloadbalancing:us-east-1:123456789012';
const API_TG = `${ELB}:targetgroup/api/0a1b2c3d4e5f6071`;
const IDLE_TG = `${ELB}:targetgroup/api-idle/0a1b2c3d4e5f6072`;
const API_LISTENER = `${ELB}:listener/app/vm-alb/0a1b2c3d4e5f6070/0a1b2c3d4e5f6073`;
const WEB_1 = 'i-0a1b2c3d4e5f60001';
const WEB_2 = 'i-0a1b2c3d4e5f60002';

async function states(targetGroupArn: string): Promise<Array<[string | undefined, number | undefined, string | undefined, string | undefined]>> {
  const { TargetHealthDescriptions = [] } = await elb.send(new DescribeTargetHealthCommand({ TargetGroupArn: targetGroupArn }));
  return TargetHealthDescriptions.map((d) => [d.Target?.Id, d.Target?.Port, d.TargetHealth?.State, d.TargetHealth?.Reason]);
}

describe('simulated ELBv2 instance targets (VM hosts)', () => {
  let installed: InstalledWorld;
  afterEach(() => installed.uninstall());

  function prepare(): InstalledWorld {
    // Target groups of the world check every 10 s, 3 checks to healthy, 2 to unhealthy, 30 s draining.
    installed = installWorld();
    installed.world.vm.addTargetGroup({ arn: API_TG, listenerArn: API_LISTENER, port: 8081 });
    installed.world.vm.addTargetGroup({ arn: IDLE_TG });
    installed.world.vm.addInstance({ instanceId: WEB_1, tags: { app: 'api' } });
    installed.world.vm.addInstance({ instanceId: WEB_2, tags: { app: 'api' } });
    return installed;
  }

  it('registers hosts initial, healthy after interval × healthy threshold, on the group port unless given', async () => {
    // Prepare
    const { clock } = prepare();

    // Act
    await elb.send(new RegisterTargetsCommand({ TargetGroupArn: API_TG, Targets: [{ Id: WEB_1 }, { Id: WEB_2, Port: 9090 }] }));
    const registered = await states(API_TG);
    clock.advance(29);
    const checking = await states(API_TG);
    clock.advance(1);
    const healthy = await states(API_TG);

    // Assess
    expect(registered).toEqual([
      [WEB_1, 8081, 'initial', 'Elb.RegistrationInProgress'],
      [WEB_2, 9090, 'initial', 'Elb.RegistrationInProgress'],
    ]);
    expect(checking.map((s) => s[3])).toEqual(['Elb.InitialHealthChecking', 'Elb.InitialHealthChecking']);
    expect(healthy.map((s) => s[2])).toEqual(['healthy', 'healthy']);
  });

  it('drains a deregistered host for the deregistration delay, then forgets it', async () => {
    // Prepare
    const { clock } = prepare();
    await elb.send(new RegisterTargetsCommand({ TargetGroupArn: API_TG, Targets: [{ Id: WEB_1 }] }));
    clock.advance(60);

    // Act
    await elb.send(new DeregisterTargetsCommand({ TargetGroupArn: API_TG, Targets: [{ Id: WEB_1 }] }));
    const draining = await states(API_TG);
    clock.advance(30);
    const gone = await states(API_TG);
    const asked = await elb.send(new DescribeTargetHealthCommand({ TargetGroupArn: API_TG, Targets: [{ Id: WEB_1 }] }));

    // Assess
    expect(draining).toEqual([[WEB_1, 8081, 'draining', 'Target.DeregistrationInProgress']]);
    expect(gone).toEqual([]);
    expect(asked.TargetHealthDescriptions?.[0]?.TargetHealth).toMatchObject({ State: 'unused', Reason: 'Target.NotRegistered' });
  });

  it('turns a host whose health check fails unhealthy after the unhealthy threshold, and a stopped one unused', async () => {
    // Prepare
    const { world, clock } = prepare();
    await elb.send(new RegisterTargetsCommand({ TargetGroupArn: API_TG, Targets: [{ Id: WEB_1 }, { Id: WEB_2 }] }));
    clock.advance(60);

    // Act
    world.vm.failHost(WEB_1);
    const justFailed = await states(API_TG);
    clock.advance(20);
    const failing = await states(API_TG);
    world.vm.setState(WEB_2, 'stopped');
    const stopped = await states(API_TG);

    // Assess
    expect(justFailed.map((s) => s[2])).toEqual(['healthy', 'healthy']);
    expect(failing[0]?.[2]).toBe('unhealthy');
    expect(stopped[1]).toEqual([WEB_2, 8081, 'unused', 'Target.InvalidState']);
  });

  it('reports hosts of a group no listener uses as unused (Target.NotInUse)', async () => {
    // Prepare
    const { clock } = prepare();

    // Act
    await elb.send(new RegisterTargetsCommand({ TargetGroupArn: IDLE_TG, Targets: [{ Id: WEB_1 }] }));
    clock.advance(60);

    // Assess
    expect(await states(IDLE_TG)).toEqual([[WEB_1, 8080, 'unused', 'Target.NotInUse']]);
  });

  it('refuses unknown or stopped instances and deregistering a host not registered, recording both calls on the group', async () => {
    // Prepare
    const { world } = prepare();
    world.vm.setState(WEB_2, 'stopped');

    // Act
    const unknown = await rejectionOf(elb.send(new RegisterTargetsCommand({ TargetGroupArn: API_TG, Targets: [{ Id: 'i-0fffffffffffffff0' }] })));
    const stopped = await rejectionOf(elb.send(new RegisterTargetsCommand({ TargetGroupArn: API_TG, Targets: [{ Id: WEB_2 }] })));
    const notRegistered = await rejectionOf(
      world.withCaller({ functionKey: 'StartBatch' }, () => elb.send(new DeregisterTargetsCommand({ TargetGroupArn: API_TG, Targets: [{ Id: WEB_1 }] }))),
    );

    // Assess
    expect(unknown).toBeInstanceOf(InvalidTargetException);
    expect(stopped.message).toContain('not in a running state');
    expect(notRegistered).toBeInstanceOf(InvalidTargetException);
    expect(world.calls.at(-1)).toMatchObject({ action: 'elasticloadbalancing:DeregisterTargets', resources: [API_TG], caller: { functionKey: 'StartBatch' } });
    expect(await states(API_TG)).toEqual([]);
  });
});

describe('simulated ELBv2 targets backed by local hosts', () => {
  it('fails the health checks of a host with no release yet, passes them once one is current', async () => {
    // Prepare
    const root = await mkdtemp(path.join(os.tmpdir(), 'deployer-elb-host-'));
    const installed = installWorld();
    const { world, clock } = installed;
    world.vm.addTargetGroup({ arn: API_TG, listenerArn: API_LISTENER });
    const host = new LocalHost({ name: 'web-1', dir: path.join(root, 'web-1'), port: 18_200 });
    world.vm.addInstance({ instanceId: WEB_1, host });

    try {
      // Act
      await elb.send(new RegisterTargetsCommand({ TargetGroupArn: API_TG, Targets: [{ Id: WEB_1 }] }));
      clock.advance(30);
      const empty = await states(API_TG);
      await mkdir(path.join(host.installDir, 'releases', '1.0.0'), { recursive: true });
      await symlink('releases/1.0.0', path.join(host.installDir, 'current'));
      const justReleased = await states(API_TG);
      clock.advance(30);
      const released = await states(API_TG);

      // Assess
      expect(empty[0]?.[2]).toBe('unhealthy');
      expect(justReleased[0]?.[2]).toBe('unhealthy');
      expect(released[0]?.[2]).toBe('healthy');
    } finally {
      installed.uninstall();
      await rm(root, { recursive: true, force: true });
    }
  });
});
