/**
 * Simulated Amazon EC2, as far as finding a VM service's hosts goes:
 * DescribeInstances over the world's EC2 instances (not the on-premises
 * `mi-…` ones), with InstanceIds, Filters (`tag:KEY`, `tag-key`,
 * `instance-state-name`, `instance-id`, `private-ip-address`; values may use
 * `*` and `?`, several values of one filter OR, several filters AND) and
 * pagination (MaxResults 5-1000 and NextToken, not combinable with
 * InstanceIds), one reservation per instance. EC2's errors:
 * `InvalidInstanceID.Malformed`, `InvalidInstanceID.NotFound`,
 * `InvalidParameterCombination`, `InvalidParameterValue`, `InvalidNextToken`.
 */
import {
  DescribeInstancesCommand,
  EC2Client,
  EC2ServiceException,
  type DescribeInstancesCommandInput,
  type DescribeInstancesCommandOutput,
  type Filter,
  type Instance,
  type InstanceStateName,
  type Reservation,
} from '@aws-sdk/client-ec2';
import { mockClient } from 'aws-sdk-client-mock';
import { refuseUnimplemented, serve, type ApiEnvironment, type SimulatedApi } from './api-call.ts';
import type { InstanceState, SimFleet, SimInstance } from './fleet.ts';
import { hexFrom } from './random.ts';
import { unmodeledError } from './sdk-errors.ts';

type Output<T> = Omit<T, '$metadata'>;

const STATE_CODES: Record<InstanceState, number> = {
  pending: 0,
  running: 16,
  'shutting-down': 32,
  terminated: 48,
  stopping: 64,
  stopped: 80,
};
const EC2_ID = /^i-[0-9a-f]{8}([0-9a-f]{9})?$/;
const FILTERS = ['instance-state-name', 'instance-id', 'private-ip-address', 'tag-key'];

function ec2Error(code: string, message: string): Error {
  return unmodeledError(EC2ServiceException, { name: code, message });
}

/** EC2 filter values match whole strings; `*` matches any run of characters, `?` one. */
function globMatches(pattern: string, value: string): boolean {
  const regex = pattern.replace(/[.+^${}()|[\]\\]/g, '\\$&').replace(/\*/g, '.*').replace(/\?/g, '.');
  return new RegExp(`^${regex}$`, 's').test(value);
}

/** The simulated EC2 of the world's account and region. */
export class SimEc2 implements SimulatedApi {
  public constructor(
    private readonly env: ApiEnvironment,
    private readonly fleet: SimFleet,
  ) {}

  /** Install the EC2Client mock; returns the function that removes it. */
  public install(): () => void {
    const stub = mockClient(EC2Client);
    refuseUnimplemented(stub, this.env, 'ec2', 'EC2');
    stub.on(DescribeInstancesCommand).callsFake(
      serve(this.env, EC2ServiceException, {
        action: 'ec2:DescribeInstances',
        // DescribeInstances has no resource-level permissions.
        authorize: () => [{ action: 'ec2:DescribeInstances', resources: ['*'] }],
        run: (input: DescribeInstancesCommandInput) => this.describeInstances(input),
      }),
    );
    return () => stub.restore();
  }

  private describeInstances(input: DescribeInstancesCommandInput): Output<DescribeInstancesCommandOutput> {
    const ids = input.InstanceIds ?? [];
    if (ids.length > 0 && input.MaxResults !== undefined) {
      throw ec2Error('InvalidParameterCombination', 'The parameter instancesSet cannot be used with the parameter maxResults');
    }
    if (input.MaxResults !== undefined && (input.MaxResults < 5 || input.MaxResults > 1000)) {
      throw ec2Error('InvalidParameterValue', `Value ( ${input.MaxResults} ) for parameter maxResults is invalid. Expecting a value between 5 and 1000.`);
    }
    const malformed = ids.filter((id) => !EC2_ID.test(id));
    if (malformed.length > 0) throw ec2Error('InvalidInstanceID.Malformed', `Invalid id: "${malformed[0]}"`);
    const ec2 = this.fleet.all().filter((i) => i.instanceId.startsWith('i-'));
    const missing = ids.filter((id) => !ec2.some((i) => i.instanceId === id));
    if (missing.length > 0) {
      const quoted = missing.map((id) => `'${id}'`).join(', ');
      throw ec2Error('InvalidInstanceID.NotFound', missing.length === 1 ? `The instance ID ${quoted} does not exist` : `The instance IDs ${quoted} do not exist`);
    }
    const filters = input.Filters ?? [];
    for (const filter of filters) this.checkFilter(filter);
    const selected = ec2.filter((i) => (ids.length === 0 || ids.includes(i.instanceId)) && filters.every((f) => this.matches(f, i)));
    let start = 0;
    if (input.NextToken !== undefined) {
      start = Number(Buffer.from(input.NextToken, 'base64').toString('utf8').replace(/^offset:/, ''));
      if (!Number.isInteger(start) || start < 0) throw ec2Error('InvalidNextToken', 'The specified token is invalid.');
    }
    const end = input.MaxResults === undefined ? selected.length : Math.min(selected.length, start + input.MaxResults);
    const output: Output<DescribeInstancesCommandOutput> = {
      Reservations: selected.slice(start, end).map((i) => this.reservationOf(i)),
    };
    if (end < selected.length) output.NextToken = Buffer.from(`offset:${end}`, 'utf8').toString('base64');
    return output;
  }

  private checkFilter(filter: Filter): void {
    const name = filter.Name ?? '';
    if (!name.startsWith('tag:') && !FILTERS.includes(name)) {
      throw ec2Error('InvalidParameterValue', `The filter '${name}' is invalid`);
    }
    if ((filter.Values ?? []).length === 0) {
      throw ec2Error('InvalidParameterValue', `The filter '${name}' must have at least one value`);
    }
  }

  private matches(filter: Filter, instance: SimInstance): boolean {
    const name = filter.Name ?? '';
    const values = filter.Values ?? [];
    const any = (candidates: readonly string[]): boolean => values.some((v) => candidates.some((c) => globMatches(v, c)));
    if (name.startsWith('tag:')) {
      const value = instance.tags[name.slice(4)];
      return value !== undefined && any([value]);
    }
    switch (name) {
      case 'instance-state-name':
        return any([instance.state]);
      case 'instance-id':
        return any([instance.instanceId]);
      case 'private-ip-address':
        return any([instance.privateIp]);
      default:
        return any(Object.keys(instance.tags));
    }
  }

  private reservationOf(instance: SimInstance): Reservation {
    const tags = Object.entries(instance.tags).map(([Key, Value]) => ({ Key, Value }));
    const running = instance.state !== 'terminated';
    const described: Instance = {
      InstanceId: instance.instanceId,
      ImageId: 'ami-0a1b2c3d4e5f60000',
      InstanceType: 't3.small',
      State: { Code: STATE_CODES[instance.state], Name: instance.state as InstanceStateName },
      LaunchTime: new Date(instance.launchedAt),
      Placement: { AvailabilityZone: instance.availabilityZone, Tenancy: 'default', GroupName: '' },
      Architecture: 'x86_64',
      PlatformDetails: 'Linux/UNIX',
      Hypervisor: 'xen',
      VirtualizationType: 'hvm',
      RootDeviceType: 'ebs',
      RootDeviceName: '/dev/xvda',
      AmiLaunchIndex: 0,
      Monitoring: { State: 'disabled' },
      EbsOptimized: false,
      SourceDestCheck: true,
      ProductCodes: [],
      // Hosts of a private fleet: no public address.
      PublicDnsName: '',
      StateTransitionReason: '',
      SecurityGroups: running ? [{ GroupId: 'sg-0a1b2c3d4e5f60005', GroupName: 'app-hosts' }] : [],
    };
    // A terminated instance has lost its network interface and private address.
    if (running) {
      described.PrivateIpAddress = instance.privateIp;
      described.PrivateDnsName = `ip-${instance.privateIp.replaceAll('.', '-')}.ec2.internal`;
      described.VpcId = 'vpc-0a1b2c3d4e5f60000';
      described.SubnetId = 'subnet-0a1b2c3d4e5f60001';
    }
    // Like EC2: an instance without tags has no Tags at all.
    if (tags.length > 0) described.Tags = tags;
    return {
      ReservationId: `r-${hexFrom(17, 'reservation', instance.instanceId)}`,
      OwnerId: this.env.account,
      Groups: [],
      Instances: [described],
    };
  }
}
