/**
 * Simulated Amazon ECR: the configured repositories, where any tag resolves
 * to a deterministic digest as if it had been pushed, so a rehearsal can
 * deploy `web:v2.0.0` without anyone building an image. After
 * `requirePushedImages()` it is as strict as ECR: only what was pushed (or
 * resolved before) exists, and a tag nobody pushed is not found. Repositories live in
 * the world's own registry (its account and region), or in the registry a
 * service names (`registry: { accountId, region }`); a call is answered by
 * the registry of its `registryId` in the region of the client that sent it,
 * as ECR does, and a registry nobody configured has no repositories.
 */
import { createHash } from 'node:crypto';
import {
  BatchGetImageCommand,
  DescribeImagesCommand,
  DescribeRepositoriesCommand,
  ECRClient,
  ECRServiceException,
  ImageNotFoundException,
  InvalidParameterException,
  RepositoryNotFoundException,
  type BatchGetImageCommandInput,
  type BatchGetImageCommandOutput,
  type DescribeImagesCommandInput,
  type DescribeImagesCommandOutput,
  type DescribeRepositoriesCommandInput,
  type DescribeRepositoriesCommandOutput,
  type Image,
  type ImageDetail,
  type ImageFailure,
  type ImageIdentifier,
  type Repository,
} from '@aws-sdk/client-ecr';
import { mockClient } from 'aws-sdk-client-mock';
import { parseImage } from '../../lambdas/shared/image.ts';
import { refuseUnimplemented, serve, type ApiEnvironment, type SimulatedApi } from './api-call.ts';
import { repositoryArn } from './arns.ts';
import { uuidFrom } from './ids.ts';
import { modeledError } from './sdk-errors.ts';

type Output<T> = Omit<T, '$metadata'>;

const MANIFEST_MEDIA_TYPE = 'application/vnd.docker.distribution.manifest.v2+json';
const CONFIG_MEDIA_TYPE = 'application/vnd.docker.container.image.v1+json';
const DIGEST = /^sha256:[a-f0-9]{64}$/;
const TAG = /^[A-Za-z0-9_][A-Za-z0-9._-]{0,299}$/;

interface StoredImage {
  digest: string;
  tags: Set<string>;
  pushedAt: number;
}

interface StoredRepository {
  name: string;
  createdAt: number;
  images: Map<string, StoredImage>;
  /** Tags pushed explicitly; any other tag resolves to its deterministic digest. */
  tags: Map<string, string>;
}

/** A registry other than the world's own: the account that owns it and its region. */
export interface RegistryPlace {
  readonly accountId: string;
  readonly region: string;
}

/** A repository to create, in the world's registry unless `registry` names another. */
export interface RepositorySpec {
  readonly name: string;
  readonly registry?: RegistryPlace | undefined;
}

interface StoredRegistry {
  readonly account: string;
  readonly region: string;
  /** `ACCOUNT.dkr.ecr.REGION.amazonaws.com` */
  readonly host: string;
  readonly repositories: Map<string, StoredRepository>;
  /** `repository@digest` of images declared deleted. */
  readonly forgotten: Set<string>;
}

function hostOf(account: string, region: string): string {
  return `${account}.dkr.ecr.${region}.amazonaws.com`;
}

/** The EventBridge event ECR emits for a successful push (`source: aws.ecr`). */
export interface EcrPushEvent {
  version: '0';
  id: string;
  'detail-type': 'ECR Image Action';
  source: 'aws.ecr';
  account: string;
  time: string;
  region: string;
  resources: string[];
  detail: {
    result: 'SUCCESS';
    'repository-name': string;
    'image-digest': string;
    'action-type': 'PUSH';
    'image-tag': string;
  };
}

/** Where an image reference points, as far as ECR is concerned. */
export type ImageResolution =
  | { kind: 'ecr'; repository: string; digest: string; canonical: string }
  | { kind: 'missing'; reason: string }
  | { kind: 'external'; canonical: string };

/** The digest a tag resolves to unless pushed explicitly: `sha256:` + sha256(`<repository>:<tag>`). */
export function digestOfTag(repository: string, tag: string): string {
  return `sha256:${createHash('sha256').update(`${repository}:${tag}`).digest('hex')}`;
}

/** The simulated ECR registries: the world's own, and those the config names. */
export class SimEcr implements SimulatedApi {
  /** The world's own registry: `ACCOUNT.dkr.ecr.REGION.amazonaws.com` */
  public readonly registry: string;
  /** By host. */
  private readonly registries = new Map<string, StoredRegistry>();
  /** False once only pushed images exist (`requirePushedImages`). */
  private implicitImages = true;

  public constructor(
    private readonly env: ApiEnvironment,
    repositories: Iterable<string | RepositorySpec>,
  ) {
    this.registry = hostOf(env.account, env.region);
    for (const spec of repositories) {
      if (typeof spec === 'string') this.createRepository(spec);
      else this.createRepository(spec.name, spec.registry);
    }
  }

  /** Create a repository (the world creates every configured one), in the world's registry or `registry`. */
  public createRepository(name: string, registry?: RegistryPlace): void {
    const store = this.storeOf(registry, true);
    if (store.repositories.has(name)) return;
    const createdAt = this.env.now() - 90 * 86_400_000;
    store.repositories.set(name, { name, createdAt, images: new Map(), tags: new Map() });
  }

  /** `REGISTRY/REPOSITORY:TAG` */
  public imageUri(repository: string, tag: string, registry?: RegistryPlace): string {
    return `${this.storeOf(registry).host}/${repository}:${tag}`;
  }

  /** The digest `tag` resolves to (it is pushed if it was not yet). */
  public digestOf(repository: string, tag: string, registry?: RegistryPlace): string {
    const found = this.lookup(this.storeOf(registry), repository, { imageTag: tag });
    if ('missing' in found) throw new Error(`ecr: ${found.missing}`);
    return found.image.digest;
  }

  /** `REGISTRY/REPOSITORY@DIGEST` of what `tag` resolves to (it is pushed if it was not yet). */
  public pinnedUri(repository: string, tag: string, registry?: RegistryPlace): string {
    return `${this.storeOf(registry).host}/${repository}@${this.digestOf(repository, tag, registry)}`;
  }

  /**
   * Push `tag` (moving it if it pointed elsewhere) and return the event ECR
   * would put on EventBridge (in the registry's account and region), ready to
   * feed the trigger.
   */
  public pushImage(repository: string, tag: string, digest = digestOfTag(repository, tag), registry?: RegistryPlace): EcrPushEvent {
    const store = this.storeOf(registry);
    const repo = store.repositories.get(repository);
    if (repo === undefined) throw new Error(`ecr: repository '${repository}' does not exist in ${store.host}`);
    if (!DIGEST.test(digest)) throw new Error(`ecr: '${digest}' is not a sha256 digest`);
    const previous = repo.tags.get(tag) ?? this.implicitDigest(repo, tag);
    if (previous !== undefined) repo.images.get(previous)?.tags.delete(tag);
    store.forgotten.delete(`${repository}@${digest}`);
    repo.tags.set(tag, digest);
    this.storeImage(repo, digest).tags.add(tag);
    const at = this.env.now();
    return {
      version: '0',
      id: uuidFrom(`${store.host}/${repository}:${tag}@${digest}#${at}`),
      'detail-type': 'ECR Image Action',
      source: 'aws.ecr',
      account: store.account,
      time: new Date(at).toISOString().replace(/\.\d{3}Z$/, 'Z'),
      region: store.region,
      resources: [],
      detail: {
        result: 'SUCCESS',
        'repository-name': repository,
        'image-digest': digest,
        'action-type': 'PUSH',
        'image-tag': tag,
      },
    };
  }

  /**
   * Push the image an ECR URI names (`REGISTRY/REPO:TAG`, `…@sha256:…`, or
   * both) to whichever configured registry it names, as `docker push` would.
   * Returns false, pushing nothing, when no configured repository holds it.
   */
  public pushUri(image: string): boolean {
    const ref = parseImage(image);
    const store = ref === undefined ? undefined : this.registries.get(ref.registry);
    if (ref === undefined || store === undefined) return false;
    const repo = store.repositories.get(ref.repository);
    if (repo === undefined) return false;
    const place = { accountId: store.account, region: store.region };
    if (ref.tag !== undefined) {
      this.pushImage(ref.repository, ref.tag, ref.digest ?? digestOfTag(ref.repository, ref.tag), place);
      return true;
    }
    if (ref.digest === undefined) return false;
    store.forgotten.delete(`${ref.repository}@${ref.digest}`);
    this.storeImage(repo, ref.digest);
    return true;
  }

  /**
   * From now on, only the images pushed (or resolved so far, like the
   * seeded services' images) exist: a tag or digest nobody pushed is not
   * found, as in ECR.
   */
  public requirePushedImages(): void {
    this.implicitImages = false;
  }

  /**
   * Delete an image: given as `REGISTRY/REPO:TAG`, `REGISTRY/REPO@DIGEST` or
   * `REPO@DIGEST` (the world's registry). Its digest no longer resolves, nor
   * do tags pointing to it.
   */
  public forgetImage(image: string): void {
    const ref = parseImage(image);
    let store: StoredRegistry | undefined = this.storeOf(undefined);
    let repository: string;
    let digest: string | undefined;
    if (ref !== undefined) {
      store = this.registries.get(ref.registry);
      repository = ref.repository;
      const repo = store?.repositories.get(repository);
      const tag = ref.tag ?? 'latest';
      digest = ref.digest ?? (repo === undefined ? undefined : (repo.tags.get(tag) ?? this.implicitDigest(repo, tag)));
    } else {
      const at = image.lastIndexOf('@');
      if (at <= 0) throw new Error(`ecr.forgetImage: '${image}' is neither an ECR image URI nor REPOSITORY@DIGEST`);
      repository = image.slice(0, at);
      digest = image.slice(at + 1);
    }
    if (digest === undefined || store === undefined) return;
    store.forgotten.add(`${repository}@${digest}`);
    store.repositories.get(repository)?.images.delete(digest);
  }

  /** Resolve an image reference the way ECS would pull it. */
  public resolveImage(image: string): ImageResolution {
    const ref = parseImage(image);
    const store = ref === undefined ? undefined : this.registries.get(ref.registry);
    if (ref === undefined || store === undefined) return { kind: 'external', canonical: image };
    // A pull by `repo:tag@digest` uses the digest alone; without either, Docker pulls `latest`.
    const id: ImageIdentifier = ref.digest !== undefined ? { imageDigest: ref.digest } : { imageTag: ref.tag ?? 'latest' };
    const found = this.lookup(store, ref.repository, id);
    if ('missing' in found) return { kind: 'missing', reason: found.missing };
    const digest = found.image.digest;
    const canonical = `${store.host}/${ref.repository}@${digest}`;
    return { kind: 'ecr', repository: ref.repository, digest, canonical };
  }

  /**
   * The tag an image runs as, for people: the tag it names, or else a tag
   * pointing to its digest (not `latest` when there is another), or undefined.
   */
  public tagOf(image: string): string | undefined {
    const ref = parseImage(image);
    if (ref === undefined) return undefined;
    if (ref.digest === undefined) return ref.tag ?? 'latest';
    const resolved = this.resolveImage(image);
    if (resolved.kind !== 'ecr') return undefined;
    const store = this.registries.get(ref.registry);
    const tags = [...(store?.repositories.get(resolved.repository)?.images.get(resolved.digest)?.tags ?? [])].sort();
    return tags.find((t) => t !== 'latest') ?? tags[0];
  }

  /** Install the ECRClient mock; returns the function that removes it. */
  public install(): () => void {
    const stub = mockClient(ECRClient);
    refuseUnimplemented(stub, this.env, 'ecr', 'ECR');
    stub.on(DescribeImagesCommand).callsFake(
      this.inClientRegion((region) =>
        serve(this.env, ECRServiceException, {
          action: 'ecr:DescribeImages',
          authorize: (input: DescribeImagesCommandInput) => [
            { action: 'ecr:DescribeImages', resources: [this.arnOf(region, input.repositoryName, input.registryId)] },
          ],
          run: (input: DescribeImagesCommandInput) => this.describeImages(region, input),
        }),
      ),
    );
    stub.on(BatchGetImageCommand).callsFake(
      this.inClientRegion((region) =>
        serve(this.env, ECRServiceException, {
          action: 'ecr:BatchGetImage',
          authorize: (input: BatchGetImageCommandInput) => [
            { action: 'ecr:BatchGetImage', resources: [this.arnOf(region, input.repositoryName, input.registryId)] },
          ],
          run: (input: BatchGetImageCommandInput) => this.batchGetImage(region, input),
        }),
      ),
    );
    stub.on(DescribeRepositoriesCommand).callsFake(
      this.inClientRegion((region) =>
        serve(this.env, ECRServiceException, {
          action: 'ecr:DescribeRepositories',
          authorize: (input: DescribeRepositoriesCommandInput) => [
            {
              action: 'ecr:DescribeRepositories',
              resources:
                input.repositoryNames === undefined
                  ? ['*']
                  : input.repositoryNames.map((name) => this.arnOf(region, name, input.registryId)),
            },
          ],
          run: (input: DescribeRepositoriesCommandInput) => this.describeRepositories(region, input),
        }),
      ),
    );
    return () => stub.restore();
  }

  /**
   * A command's fake behaviour, served in the region of the client that sent
   * it (a client made with `{ region }` for another registry's region). The
   * caller is read when the handler calls `send`, before the region is known.
   */
  private inClientRegion<I, O>(
    serveIn: (region: string) => (input: I) => Promise<O>,
  ): (input: I, getClient: () => { config: { region: unknown } }) => Promise<O> {
    return (input, getClient) => {
      const caller = this.env.recorder.current();
      return regionOf(getClient().config.region, this.env.region).then((region) =>
        this.env.recorder.withCaller(caller, () => serveIn(region)(input)),
      );
    };
  }

  private arnOf(region: string, repository: string | undefined, registryId: string | undefined): string {
    return repositoryArn({ account: this.env.account, region }, repository ?? '', registryId ?? this.env.account);
  }

  /** The world's registry, or the one named; created on demand when `create` (a registry the config names). */
  private storeOf(registry: RegistryPlace | undefined, create = false): StoredRegistry {
    const account = registry?.accountId ?? this.env.account;
    const region = registry?.region ?? this.env.region;
    const host = hostOf(account, region);
    let store = this.registries.get(host);
    if (store === undefined) {
      if (!create && registry !== undefined) throw new Error(`ecr: no repository was configured in the registry ${host}`);
      store = { account, region, host, repositories: new Map(), forgotten: new Set() };
      this.registries.set(host, store);
    }
    return store;
  }

  /** The repository `name` of the registry `registryId` in `region`, as a call names it. */
  private repository(region: string, name: string | undefined, registryId: string | undefined): { store: StoredRegistry; repo: StoredRepository } {
    const account = registryId ?? this.env.account;
    const store = this.registries.get(hostOf(account, region));
    const repo = name === undefined ? undefined : store?.repositories.get(name);
    if (store === undefined || repo === undefined) {
      throw modeledError(
        RepositoryNotFoundException,
        `The repository with name '${name ?? ''}' does not exist in the registry with id '${account}'`,
        {},
      );
    }
    return { store, repo };
  }

  private implicitDigest(repo: StoredRepository, tag: string): string | undefined {
    if (!this.implicitImages || /^missing/.test(tag)) return undefined;
    return digestOfTag(repo.name, tag);
  }

  private storeImage(repo: StoredRepository, digest: string): StoredImage {
    let image = repo.images.get(digest);
    if (image === undefined) {
      image = { digest, tags: new Set(), pushedAt: this.env.now() };
      repo.images.set(digest, image);
    }
    return image;
  }

  /** Find (materializing it "as pushed" when needed) the image an identifier names. */
  private lookup(store: StoredRegistry, repository: string, id: ImageIdentifier): { image: StoredImage } | { missing: string } {
    const repo = store.repositories.get(repository);
    if (repo === undefined) return { missing: `repository '${repository}' does not exist in ${store.host}` };
    const { imageTag: tag, imageDigest: digest } = id;
    if (tag === undefined && digest === undefined) {
      throw modeledError(InvalidParameterException, 'Invalid parameter: imageId must have an imageTag or an imageDigest', {});
    }
    if (tag !== undefined && !TAG.test(tag)) {
      throw modeledError(InvalidParameterException, `Invalid parameter at 'imageTag' failed to satisfy constraint: '${tag}'`, {});
    }
    if (digest !== undefined && !DIGEST.test(digest)) {
      throw modeledError(InvalidParameterException, `Invalid parameter at 'imageDigest' failed to satisfy constraint: 'Invalid digest'`, {});
    }
    let resolved = digest;
    if (tag !== undefined) {
      const tagged = repo.tags.get(tag) ?? this.implicitDigest(repo, tag);
      if (tagged === undefined || store.forgotten.has(`${repository}@${tagged}`)) {
        return { missing: `tag '${tag}' not found in '${repository}'` };
      }
      if (digest !== undefined && digest !== tagged) {
        return { missing: `tag '${tag}' of '${repository}' does not point to ${digest}` };
      }
      resolved = tagged;
    }
    if (resolved === undefined || store.forgotten.has(`${repository}@${resolved}`) || (!this.implicitImages && !repo.images.has(resolved))) {
      return { missing: `digest '${resolved ?? ''}' not found in '${repository}'` };
    }
    const image = this.storeImage(repo, resolved);
    if (tag !== undefined && !repo.tags.has(tag)) {
      repo.tags.set(tag, resolved);
      image.tags.add(tag);
    }
    return { image };
  }

  private detail(store: StoredRegistry, repo: StoredRepository, image: StoredImage): ImageDetail {
    const detail: ImageDetail = {
      registryId: store.account,
      repositoryName: repo.name,
      imageDigest: image.digest,
      imageSizeInBytes: 31_457_280,
      imagePushedAt: new Date(image.pushedAt),
      imageManifestMediaType: MANIFEST_MEDIA_TYPE,
      artifactMediaType: CONFIG_MEDIA_TYPE,
      imageStatus: 'ACTIVE',
    };
    // Like ECR: untagged images have no imageTags at all.
    if (image.tags.size > 0) detail.imageTags = [...image.tags].sort();
    return detail;
  }

  private describeImages(region: string, input: DescribeImagesCommandInput): Output<DescribeImagesCommandOutput> {
    const { store, repo } = this.repository(region, input.repositoryName, input.registryId);
    if (input.imageIds === undefined) {
      const status = input.filter?.tagStatus ?? 'ANY';
      const images = [...repo.images.values()].filter(
        (image) => status === 'ANY' || (status === 'TAGGED') === image.tags.size > 0,
      );
      return { imageDetails: images.map((image) => this.detail(store, repo, image)) };
    }
    const details = new Map<string, ImageDetail>();
    for (const id of input.imageIds) {
      const found = this.lookup(store, repo.name, id);
      if ('missing' in found) {
        throw modeledError(
          ImageNotFoundException,
          `The image with imageId {imageDigest:'${id.imageDigest ?? 'null'}', imageTag:'${id.imageTag ?? 'null'}'} ` +
            `does not exist within the repository with name '${repo.name}' in the registry with id '${store.account}'`,
          {},
        );
      }
      details.set(found.image.digest, this.detail(store, repo, found.image));
    }
    return { imageDetails: [...details.values()] };
  }

  private batchGetImage(region: string, input: BatchGetImageCommandInput): Output<BatchGetImageCommandOutput> {
    const { store, repo } = this.repository(region, input.repositoryName, input.registryId);
    const ids = input.imageIds ?? [];
    if (ids.length === 0 || ids.length > 100) {
      throw modeledError(InvalidParameterException, 'imageIds must contain between 1 and 100 image identifiers', {});
    }
    const images: Image[] = [];
    const failures: ImageFailure[] = [];
    for (const id of ids) {
      const found = this.lookup(store, repo.name, id);
      if ('missing' in found) {
        const mismatch =
          id.imageTag !== undefined && id.imageDigest !== undefined && found.missing.includes('does not point');
        failures.push({
          imageId: { ...id },
          failureCode: mismatch ? 'ImageTagDoesNotMatchDigest' : 'ImageNotFound',
          failureReason: mismatch ? 'Invalid image tag and digest combination' : 'Requested image not found',
        });
        continue;
      }
      const imageId: ImageIdentifier = { imageDigest: found.image.digest };
      if (id.imageTag !== undefined) imageId.imageTag = id.imageTag;
      images.push({
        registryId: store.account,
        repositoryName: repo.name,
        imageId,
        imageManifest: JSON.stringify({
          schemaVersion: 2,
          mediaType: MANIFEST_MEDIA_TYPE,
          config: { mediaType: CONFIG_MEDIA_TYPE, size: 7023, digest: found.image.digest },
          layers: [],
        }),
        imageManifestMediaType: MANIFEST_MEDIA_TYPE,
      });
    }
    return { images, failures };
  }

  private describeRepositories(region: string, input: DescribeRepositoriesCommandInput): Output<DescribeRepositoriesCommandOutput> {
    const home = this.registries.get(hostOf(input.registryId ?? this.env.account, region));
    const names = input.repositoryNames ?? [...(home?.repositories.keys() ?? [])];
    const repositories: Repository[] = names.map((name) => {
      const { store, repo } = this.repository(region, name, input.registryId);
      return {
        repositoryArn: repositoryArn({ account: store.account, region: store.region }, repo.name),
        registryId: store.account,
        repositoryName: repo.name,
        repositoryUri: `${store.host}/${repo.name}`,
        createdAt: new Date(repo.createdAt),
        imageTagMutability: 'MUTABLE',
        imageScanningConfiguration: { scanOnPush: true },
        encryptionConfiguration: { encryptionType: 'AES256' },
      };
    });
    return { repositories };
  }
}

/** The region a client was made for (its config holds a provider), or the world's when it has none. */
async function regionOf(provider: unknown, fallback: string): Promise<string> {
  const value: unknown = typeof provider === 'function' ? await (provider as () => unknown)() : provider;
  return typeof value === 'string' && value !== '' ? value : fallback;
}
