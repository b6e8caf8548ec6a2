/**
 * Simulated Elastic Load Balancing v2 (Application Load Balancers): the
 * listeners and rules whose forward weights a deployment moves, the target
 * groups and their targets (the tasks ECS registered), their health as
 * DescribeTargetHealth reports it, and their attributes. Changes happen
 * only through ModifyListener / ModifyRule; everything else is read.
 */
import {
  DescribeListenersCommand,
  DescribeLoadBalancersCommand,
  DescribeRulesCommand,
  DescribeTargetGroupAttributesCommand,
  DescribeTargetGroupsCommand,
  DescribeTargetHealthCommand,
  ElasticLoadBalancingV2Client,
  ElasticLoadBalancingV2ServiceException,
  ListenerNotFoundException,
  LoadBalancerNotFoundException,
  ModifyListenerCommand,
  ModifyRuleCommand,
  OperationNotPermittedException,
  RuleNotFoundException,
  TargetGroupNotFoundException,
  type DescribeListenersCommandInput,
  type DescribeListenersCommandOutput,
  type DescribeLoadBalancersCommandInput,
  type DescribeLoadBalancersCommandOutput,
  type DescribeRulesCommandInput,
  type DescribeRulesCommandOutput,
  type DescribeTargetGroupAttributesCommandInput,
  type DescribeTargetGroupAttributesCommandOutput,
  type DescribeTargetGroupsCommandInput,
  type DescribeTargetGroupsCommandOutput,
  type DescribeTargetHealthCommandInput,
  type DescribeTargetHealthCommandOutput,
  type Listener,
  type LoadBalancer,
  type ModifyListenerCommandInput,
  type ModifyListenerCommandOutput,
  type ModifyRuleCommandInput,
  type ModifyRuleCommandOutput,
  type Rule,
  type TargetGroup,
  type TargetHealth,
  type TargetHealthDescription,
  type TargetDescription,
  DeregisterTargetsCommand,
  InvalidTargetException,
  RegisterTargetsCommand,
  type DeregisterTargetsCommandInput,
  type DeregisterTargetsCommandOutput,
  type RegisterTargetsCommandInput,
  type RegisterTargetsCommandOutput,
} from '@aws-sdk/client-elastic-load-balancing-v2';
import { mockClient } from 'aws-sdk-client-mock';
import { refuseUnimplemented, serve, type ApiEnvironment, type CallContext, type SimulatedApi } from './api-call.ts';
import type { TargetGroupFacts } from './ecs-create-service.ts';
import type { TargetGroupDirectory } from './ecs.ts';
import type { TargetGroupView } from './ecs-task-lifecycle.ts';
import { validateActions, validateConditions, validationError } from './elbv2-actions.ts';
import { ManualTargets, type TargetCondition } from './elbv2-instance-targets.ts';
import { ElbStore, type SimListener, type SimRule, type SimTargetGroup } from './elbv2-store.ts';
import { modeledError, SimulationNotImplemented } from './sdk-errors.ts';
import type { ServingTarget } from './traffic.ts';
import { targetHealthAt, type TargetPresence } from './target-health.ts';

type Output<T> = Omit<T, '$metadata'>;

/** A target registered in a target group: an ECS task's IP and port. */
export interface RegisteredTarget {
  id: string;
  port: number;
  availabilityZone: string;
  presence: TargetPresence;
}

/** The targets registered in a target group now (ECS brought up to date). */
export type TargetSource = (targetGroupArn: string) => RegisteredTarget[];

const SSL_POLICY = 'ELBSecurityPolicy-TLS13-1-2-2021-06';

/** The simulated ELBv2 of the world's account and region. */
export class SimElbv2 implements SimulatedApi, TargetGroupDirectory {
  /** Load balancers, listeners, rules and target groups. */
  public readonly store = new ElbStore();
  /** Where the registered targets come from (the world points it at ECS). */
  public targets: TargetSource = () => [];
  /** Targets registered with RegisterTargets (VM hosts). */
  public readonly manual = new ManualTargets();
  /** How the instance (or IP) a target names is doing now; undefined: not an instance the world knows (it passes). */
  public instanceCondition: (targetId: string) => TargetCondition | undefined = () => undefined;
  /** Whether a target ID may be registered in a group of this type now; a refusal's message otherwise. */
  public registrable: (targetType: string, targetId: string) => string | undefined = () => undefined;

  public constructor(private readonly env: ApiEnvironment) {}

  /** Health check timing and usage of a target group (for ECS). */
  public view(targetGroupArn: string): TargetGroupView | undefined {
    const group = this.store.targetGroups.get(targetGroupArn);
    if (group === undefined) return undefined;
    return { arn: group.arn, timing: ElbStore.timingOf(group), usage: group.usage };
  }

  /** What CreateService checks of a target group (for ECS). */
  public facts(targetGroupArn: string): TargetGroupFacts | undefined {
    const group = this.store.targetGroups.get(targetGroupArn);
    if (group === undefined) return undefined;
    return { targetType: group.targetType, loadBalancerArn: this.store.loadBalancerOf(group.arn) };
  }

  /** `{targetGroupArn: weight}` a listener (default action) or rule forwards with now; undefined for an unknown ARN. */
  public weightsOf(listenerOrRuleArn: string): Record<string, number> | undefined {
    const entry = this.store.entryPoint(listenerOrRuleArn);
    if (entry === undefined) return undefined;
    return { ...(entry.history.at(-1)?.weights ?? {}) };
  }

  /** The IDs of the targets registered by hand (VM hosts) that are healthy in the group now: those the load balancer sends requests to. */
  public healthyManualTargets(targetGroupArn: string): string[] {
    const group = this.store.targetGroups.get(targetGroupArn);
    if (group === undefined) return [];
    const now = this.env.now();
    const timing = ElbStore.timingOf(group);
    return this.manual
      .of(group.arn)
      .filter((target) => this.manual.health(target, now, group.usage, timing, this.instanceCondition(target.id))?.State === 'healthy')
      .map((target) => target.id);
  }

  /**
   * The targets registered by hand (VM hosts) as production traffic sees
   * them: each registration, with whether its host passes its checks now
   * (from when its answer last changed), serving normally.
   */
  public manualServing(targetGroupArn: string): ServingTarget[] {
    const group = this.store.targetGroups.get(targetGroupArn);
    if (group === undefined) return [];
    const now = this.env.now();
    const timing = ElbStore.timingOf(group);
    return this.manual.of(group.arn).map((target) => {
      // Brings the target's answer up to date.
      this.manual.health(target, now, group.usage, timing, this.instanceCondition(target.id));
      const presence = {
        registeredAt: Math.max(target.registeredAt, target.passingSince),
        passes: target.passing,
        ...(target.deregisteredAt === undefined ? {} : { deregisteredAt: target.deregisteredAt }),
      };
      return { id: `${target.id}:${String(target.port)}`, presence, profile: 'normal' as const };
    });
  }

  /** The health of every target of a target group now, as DescribeTargetHealth reports it. */
  public targetHealth(targetGroupArn: string): TargetHealthDescription[] {
    const group = this.store.targetGroups.get(targetGroupArn);
    if (group === undefined) return [];
    return this.describeHealth(group, undefined);
  }

  /** Install the ElasticLoadBalancingV2Client mock; returns the function that removes it. */
  public install(): () => void {
    const stub = mockClient(ElasticLoadBalancingV2Client);
    refuseUnimplemented(stub, this.env, 'elasticloadbalancing', 'ELBv2');
    const anywhere = (action: string) => () => [{ action, resources: ['*'] }];
    const base = ElasticLoadBalancingV2ServiceException;
    stub.on(DescribeLoadBalancersCommand).callsFake(
      serve(this.env, base, {
        action: 'elasticloadbalancing:DescribeLoadBalancers',
        authorize: anywhere('elasticloadbalancing:DescribeLoadBalancers'),
        run: (input: DescribeLoadBalancersCommandInput) => this.describeLoadBalancers(input),
      }),
    );
    stub.on(DescribeListenersCommand).callsFake(
      serve(this.env, base, {
        action: 'elasticloadbalancing:DescribeListeners',
        authorize: anywhere('elasticloadbalancing:DescribeListeners'),
        run: (input: DescribeListenersCommandInput) => this.describeListeners(input),
      }),
    );
    stub.on(DescribeRulesCommand).callsFake(
      serve(this.env, base, {
        action: 'elasticloadbalancing:DescribeRules',
        authorize: anywhere('elasticloadbalancing:DescribeRules'),
        run: (input: DescribeRulesCommandInput) => this.describeRules(input),
      }),
    );
    stub.on(DescribeTargetGroupsCommand).callsFake(
      serve(this.env, base, {
        action: 'elasticloadbalancing:DescribeTargetGroups',
        authorize: anywhere('elasticloadbalancing:DescribeTargetGroups'),
        run: (input: DescribeTargetGroupsCommandInput) => this.describeTargetGroups(input),
      }),
    );
    stub.on(DescribeTargetGroupAttributesCommand).callsFake(
      serve(this.env, base, {
        action: 'elasticloadbalancing:DescribeTargetGroupAttributes',
        authorize: anywhere('elasticloadbalancing:DescribeTargetGroupAttributes'),
        run: (input: DescribeTargetGroupAttributesCommandInput) => this.describeAttributes(input),
      }),
    );
    stub.on(DescribeTargetHealthCommand).callsFake(
      serve(this.env, base, {
        action: 'elasticloadbalancing:DescribeTargetHealth',
        authorize: anywhere('elasticloadbalancing:DescribeTargetHealth'),
        run: (input: DescribeTargetHealthCommandInput) => this.describeTargetHealth(input),
      }),
    );
    stub.on(RegisterTargetsCommand).callsFake(
      serve(this.env, base, {
        action: 'elasticloadbalancing:RegisterTargets',
        authorize: (input: RegisterTargetsCommandInput) => [
          { action: 'elasticloadbalancing:RegisterTargets', resources: [input.TargetGroupArn ?? '*'] },
        ],
        run: (input: RegisterTargetsCommandInput, context: CallContext) => this.registerTargets(input, context),
      }),
    );
    stub.on(DeregisterTargetsCommand).callsFake(
      serve(this.env, base, {
        action: 'elasticloadbalancing:DeregisterTargets',
        authorize: (input: DeregisterTargetsCommandInput) => [
          { action: 'elasticloadbalancing:DeregisterTargets', resources: [input.TargetGroupArn ?? '*'] },
        ],
        run: (input: DeregisterTargetsCommandInput, context: CallContext) => this.deregisterTargets(input, context),
      }),
    );
    stub.on(ModifyListenerCommand).callsFake(
      serve(this.env, base, {
        action: 'elasticloadbalancing:ModifyListener',
        authorize: (input: ModifyListenerCommandInput) => [
          { action: 'elasticloadbalancing:ModifyListener', resources: [input.ListenerArn ?? '*'] },
        ],
        run: (input: ModifyListenerCommandInput, context: CallContext) => this.modifyListener(input, context),
      }),
    );
    stub.on(ModifyRuleCommand).callsFake(
      serve(this.env, base, {
        action: 'elasticloadbalancing:ModifyRule',
        authorize: (input: ModifyRuleCommandInput) => [
          { action: 'elasticloadbalancing:ModifyRule', resources: [input.RuleArn ?? '*'] },
        ],
        run: (input: ModifyRuleCommandInput, context: CallContext) => this.modifyRule(input, context),
      }),
    );
    return () => stub.restore();
  }

  private describeListener(listener: SimListener): Listener {
    const described: Listener = {
      ListenerArn: listener.arn,
      LoadBalancerArn: listener.loadBalancerArn,
      Port: listener.port,
      Protocol: listener.protocol,
      DefaultActions: structuredClone(listener.defaultActions),
    };
    if (listener.protocol === 'HTTPS') {
      described.Certificates = [
        { CertificateArn: `arn:aws:acm:${this.env.region}:${this.env.account}:certificate/5a1d0000-0000-4000-8000-00000000ce27` },
      ];
      described.SslPolicy = SSL_POLICY;
    }
    return described;
  }

  private describeRule(rule: SimRule | SimListener): Rule {
    if ('defaultRuleArn' in rule) {
      return { RuleArn: rule.defaultRuleArn, Priority: 'default', Conditions: [], Actions: structuredClone(rule.defaultActions), IsDefault: true };
    }
    return {
      RuleArn: rule.arn,
      Priority: String(rule.priority),
      Conditions: structuredClone(rule.conditions),
      Actions: structuredClone(rule.actions),
      IsDefault: false,
    };
  }

  private describeTargetGroup(group: SimTargetGroup): TargetGroup {
    const loadBalancer = this.store.loadBalancerOf(group.arn);
    return {
      TargetGroupArn: group.arn,
      TargetGroupName: group.name,
      Protocol: group.protocol,
      Port: group.port,
      VpcId: group.vpcId,
      HealthCheckProtocol: group.protocol,
      HealthCheckPort: 'traffic-port',
      HealthCheckEnabled: true,
      HealthCheckIntervalSeconds: group.healthCheckIntervalSeconds,
      HealthCheckTimeoutSeconds: group.healthCheckTimeoutSeconds,
      HealthyThresholdCount: group.healthyThresholdCount,
      UnhealthyThresholdCount: group.unhealthyThresholdCount,
      HealthCheckPath: group.healthCheckPath,
      Matcher: { HttpCode: '200' },
      LoadBalancerArns: loadBalancer === undefined ? [] : [loadBalancer],
      TargetType: group.targetType,
      ProtocolVersion: 'HTTP1',
      IpAddressType: 'ipv4',
    };
  }

  private describeHealth(group: SimTargetGroup, wanted: ReadonlyArray<{ Id?: string | undefined; Port?: number | undefined }> | undefined): TargetHealthDescription[] {
    const now = this.env.now();
    const timing = ElbStore.timingOf(group);
    const listed: Array<{ target: { id: string; port: number; availabilityZone: string }; health: TargetHealth }> = this.targets(group.arn).flatMap((target) => {
      const health = targetHealthAt(target.presence, now, group.usage, timing);
      return health === undefined ? [] : [{ target, health }];
    });
    for (const target of this.manual.of(group.arn)) {
      const health = this.manual.health(target, now, group.usage, timing, this.instanceCondition(target.id));
      if (health !== undefined) listed.push({ target, health });
    }
    if (wanted === undefined) {
      return listed.map(({ target, health }) => ({
        Target: { Id: target.id, Port: target.port, AvailabilityZone: target.availabilityZone },
        HealthCheckPort: String(target.port),
        TargetHealth: health,
      }));
    }
    return wanted.map((want) => {
      const port = want.Port ?? group.port;
      const found = listed.find(({ target }) => target.id === want.Id && target.port === port);
      return {
        Target: { Id: want.Id, Port: port, ...(found === undefined ? {} : { AvailabilityZone: found.target.availabilityZone }) },
        HealthCheckPort: String(port),
        TargetHealth: found?.health ?? {
          State: 'unused',
          Reason: 'Target.NotRegistered',
          Description: 'Target is not registered to the target group',
        },
      };
    });
  }

  private groupOrThrow(arn: string | undefined): SimTargetGroup {
    const group = this.store.targetGroups.get(arn ?? '');
    if (group === undefined) throw modeledError(TargetGroupNotFoundException, 'One or more target groups not found', {});
    return group;
  }

  private describeLoadBalancers(input: DescribeLoadBalancersCommandInput): Output<DescribeLoadBalancersCommandOutput> {
    const all = [...this.store.loadBalancers.values()];
    const arns = input.LoadBalancerArns ?? [];
    const names = input.Names ?? [];
    const selected = arns.length > 0 ? all.filter((lb) => arns.includes(lb.arn)) : names.length > 0 ? all.filter((lb) => names.includes(lb.name)) : all;
    if (selected.length < Math.max(arns.length, names.length)) {
      throw modeledError(LoadBalancerNotFoundException, 'One or more load balancers not found', {});
    }
    const described: LoadBalancer[] = selected.map((lb) => ({
      LoadBalancerArn: lb.arn,
      LoadBalancerName: lb.name,
      DNSName: lb.dnsName,
      CanonicalHostedZoneId: 'Z35SXDOTRQ7X7K',
      CreatedTime: new Date(lb.createdAt),
      Scheme: 'internet-facing',
      VpcId: 'vpc-0a1b2c3d4e5f60000',
      State: { Code: 'active' },
      Type: 'application',
      AvailabilityZones: [
        { ZoneName: `${this.env.region}a`, SubnetId: 'subnet-0a1b2c3d4e5f60001' },
        { ZoneName: `${this.env.region}b`, SubnetId: 'subnet-0a1b2c3d4e5f60002' },
      ],
      SecurityGroups: ['sg-0a1b2c3d4e5f60004'],
      IpAddressType: 'ipv4',
    }));
    return { LoadBalancers: described };
  }

  private describeListeners(input: DescribeListenersCommandInput): Output<DescribeListenersCommandOutput> {
    const arns = input.ListenerArns ?? [];
    if (arns.length > 0 && input.LoadBalancerArn !== undefined) {
      throw validationError('Listener ARNs and a load balancer ARN cannot be specified at the same time');
    }
    if (arns.length === 0 && input.LoadBalancerArn === undefined) {
      throw validationError('You must specify either listener ARNs or a load balancer ARN');
    }
    if (input.LoadBalancerArn !== undefined) {
      if (!this.store.loadBalancers.has(input.LoadBalancerArn)) {
        throw modeledError(LoadBalancerNotFoundException, 'One or more load balancers not found', {});
      }
      const listeners = [...this.store.listeners.values()].filter((l) => l.loadBalancerArn === input.LoadBalancerArn);
      return { Listeners: listeners.map((l) => this.describeListener(l)) };
    }
    const listeners = arns.map((arn) => this.store.listeners.get(arn));
    if (listeners.some((l) => l === undefined)) throw modeledError(ListenerNotFoundException, 'One or more listeners not found', {});
    return { Listeners: listeners.flatMap((l) => (l === undefined ? [] : [this.describeListener(l)])) };
  }

  private describeRules(input: DescribeRulesCommandInput): Output<DescribeRulesCommandOutput> {
    const arns = input.RuleArns ?? [];
    if (arns.length > 0 && input.ListenerArn !== undefined) {
      throw validationError('Listener rule ARNs and a listener ARN cannot be specified at the same time');
    }
    if (arns.length === 0 && input.ListenerArn === undefined) {
      throw validationError('You must specify either listener rule ARNs or a listener ARN');
    }
    if (input.ListenerArn !== undefined) {
      const listener = this.store.listeners.get(input.ListenerArn);
      if (listener === undefined) throw modeledError(ListenerNotFoundException, 'One or more listeners not found', {});
      const rules = [...this.store.rulesOf(listener.arn), listener];
      return { Rules: rules.map((r) => this.describeRule(r)) };
    }
    const rules = arns.map((arn) => (this.store.listeners.has(arn) ? undefined : this.store.entryPoint(arn)));
    if (rules.some((r) => r === undefined)) throw modeledError(RuleNotFoundException, 'One or more rules not found', {});
    return { Rules: rules.flatMap((r) => (r === undefined ? [] : [this.describeRule(r)])) };
  }

  private describeTargetGroups(input: DescribeTargetGroupsCommandInput): Output<DescribeTargetGroupsCommandOutput> {
    const arns = input.TargetGroupArns ?? [];
    const names = input.Names ?? [];
    const given = [input.LoadBalancerArn !== undefined, arns.length > 0, names.length > 0].filter(Boolean).length;
    if (given > 1) {
      throw validationError('Target group names, target group ARNs, and a load balancer ARN cannot be specified at the same time');
    }
    const all = [...this.store.targetGroups.values()];
    let selected: SimTargetGroup[];
    if (arns.length > 0) selected = arns.map((arn) => this.groupOrThrow(arn));
    else if (names.length > 0) {
      selected = names.map((name) => {
        const found = all.find((g) => g.name === name);
        if (found === undefined) throw modeledError(TargetGroupNotFoundException, 'One or more target groups not found', {});
        return found;
      });
    } else if (input.LoadBalancerArn !== undefined) {
      if (!this.store.loadBalancers.has(input.LoadBalancerArn)) {
        throw modeledError(LoadBalancerNotFoundException, 'One or more load balancers not found', {});
      }
      selected = all.filter((g) => this.store.loadBalancerOf(g.arn) === input.LoadBalancerArn);
    } else selected = all;
    return { TargetGroups: selected.map((g) => this.describeTargetGroup(g)) };
  }

  private describeAttributes(input: DescribeTargetGroupAttributesCommandInput): Output<DescribeTargetGroupAttributesCommandOutput> {
    const group = this.groupOrThrow(input.TargetGroupArn);
    return { Attributes: Object.entries(group.attributes).map(([Key, Value]) => ({ Key, Value })) };
  }

  private describeTargetHealth(input: DescribeTargetHealthCommandInput): Output<DescribeTargetHealthCommandOutput> {
    const group = this.groupOrThrow(input.TargetGroupArn);
    const wanted = input.Targets === undefined || input.Targets.length === 0 ? undefined : input.Targets;
    return { TargetHealthDescriptions: this.describeHealth(group, wanted) };
  }

  /** The targets of a Register/DeregisterTargets call, each with its port (the group's when omitted). */
  private targetsOf(group: SimTargetGroup, targets: readonly TargetDescription[] | undefined): Array<{ id: string; port: number }> {
    if (targets === undefined || targets.length === 0) throw validationError('Targets must contain at least one target');
    if (group.targetType !== 'instance' && group.targetType !== 'ip') {
      throw new SimulationNotImplemented(`the simulated ELBv2 registers instance and ip targets, not ${group.targetType} targets`);
    }
    return targets.map((t) => {
      if (t.Id === undefined || t.Id === '') throw validationError('A target ID must be specified');
      const port = t.Port ?? group.port;
      if (!Number.isInteger(port) || port < 1 || port > 65535) throw validationError(`Port ${port} is not valid: must be between 1 and 65535`);
      return { id: t.Id, port };
    });
  }

  private registerTargets(input: RegisterTargetsCommandInput, context: CallContext): Output<RegisterTargetsCommandOutput> {
    const group = this.groupOrThrow(input.TargetGroupArn);
    const targets = this.targetsOf(group, input.Targets);
    for (const target of targets) {
      const refusal = this.registrable(group.targetType, target.id);
      if (refusal !== undefined) throw modeledError(InvalidTargetException, refusal, {});
    }
    // Everything is validated: from here on the call changes the group.
    for (const [index, target] of targets.entries()) {
      const passes = this.instanceCondition(target.id)?.passes ?? true;
      this.manual.register(group.arn, { ...target, availabilityZone: `${this.env.region}${'abc'[index % 3]}` }, context.at, passes);
    }
    return {};
  }

  private deregisterTargets(input: DeregisterTargetsCommandInput, context: CallContext): Output<DeregisterTargetsCommandOutput> {
    const group = this.groupOrThrow(input.TargetGroupArn);
    const targets = this.targetsOf(group, input.Targets);
    const ecsTargets = new Set(this.targets(group.arn).map((t) => `${t.id}:${t.port}`));
    const missing = targets.filter(
      (t) => !ecsTargets.has(`${t.id}:${t.port}`) && !this.manual.of(group.arn).some((m) => m.id === t.id && m.port === t.port && m.deregisteredAt === undefined),
    );
    if (missing.length > 0) {
      throw modeledError(
        InvalidTargetException,
        `The following targets are not registered in target group '${group.arn}': ${missing.map((t) => `'${t.id}'`).join(', ')}`,
        {},
      );
    }
    if (targets.some((t) => ecsTargets.has(`${t.id}:${t.port}`))) {
      throw new SimulationNotImplemented('the simulated ELBv2 leaves the targets ECS registered to ECS');
    }
    for (const target of targets) this.manual.deregister(group.arn, target.id, target.port, context.at);
    return {};
  }

  private modifyListener(input: ModifyListenerCommandInput, context: CallContext): Output<ModifyListenerCommandOutput> {
    const listener = this.store.listeners.get(input.ListenerArn ?? '');
    if (listener === undefined) throw modeledError(ListenerNotFoundException, 'One or more listeners not found', {});
    const other = (['Port', 'Protocol', 'SslPolicy', 'Certificates', 'AlpnPolicy', 'MutualAuthentication'] as const).find(
      (field) => input[field] !== undefined,
    );
    if (other !== undefined) throw new SimulationNotImplemented(`the simulated ELBv2 only modifies a listener's DefaultActions, not its ${other}`);
    if (input.DefaultActions !== undefined) {
      const actions = validateActions(input.DefaultActions, 'defaultActions', (arn) => this.store.targetGroups.has(arn));
      this.store.setDefaultActions(listener, actions, context.at);
    }
    return { Listeners: [this.describeListener(listener)] };
  }

  private modifyRule(input: ModifyRuleCommandInput, context: CallContext): Output<ModifyRuleCommandOutput> {
    const entry = this.store.entryPoint(input.RuleArn ?? '');
    if (entry === undefined || this.store.listeners.has(input.RuleArn ?? '')) {
      throw modeledError(RuleNotFoundException, 'One or more rules not found', {});
    }
    if (input.Transforms !== undefined || input.ResetTransforms !== undefined) {
      throw new SimulationNotImplemented('the simulated ELBv2 does not modify rule transforms');
    }
    if (input.Conditions === undefined && input.Actions === undefined) {
      throw validationError('Either conditions or actions must be specified');
    }
    const isDefault = 'defaultRuleArn' in entry;
    if (isDefault && input.Conditions !== undefined) {
      throw modeledError(OperationNotPermittedException, 'The conditions of a default rule cannot be modified', {});
    }
    const conditions = input.Conditions === undefined ? undefined : validateConditions(input.Conditions);
    const actions =
      input.Actions === undefined ? undefined : validateActions(input.Actions, 'actions', (arn) => this.store.targetGroups.has(arn));
    // Everything is validated: from here on the call changes the rule.
    if ('defaultRuleArn' in entry) {
      if (actions !== undefined) this.store.setDefaultActions(entry, actions, context.at);
    } else {
      if (conditions !== undefined) entry.conditions = conditions;
      if (actions !== undefined) this.store.setRuleActions(entry, actions, context.at);
    }
    return { Rules: [this.describeRule(entry)] };
  }
}
