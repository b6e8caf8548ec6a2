/**
 * Simulated Amazon ECR: the configured repositories, where any tag resolves
 * to a deterministic digest as if it had been pushed, so a rehearsal can
 * deploy `web:v2.0.0` without anyone building an image. After
 * `requirePushedImages()` it is as strict as ECR: only what was pushed (or
 * resolved before) exists, and a tag nobody pushed is not found.
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

/** The simulated ECR registry of the world's account and region. */
export class SimEcr implements SimulatedApi {
  /** `ACCOUNT.dkr.ecr.REGION.amazonaws.com` */
  public readonly registry: string;
  private readonly repositories = new Map<string, StoredRepository>();
  /** `repository@digest` of images declared deleted. */
  private readonly forgotten = new Set<string>();
  /** False once only pushed images exist (`requirePushedImages`). */
  private implicitImages = true;

  public constructor(
    private readonly env: ApiEnvironment,
    repositories: Iterable<string>,
  ) {
    this.registry = `${env.account}.dkr.ecr.${env.region}.amazonaws.com`;
    for (const name of repositories) this.createRepository(name);
  }

  /** Create a repository (the world creates every configured one). */
  public createRepository(name: string): void {
    if (this.repositories.has(name)) return;
    const createdAt = this.env.now() - 90 * 86_400_000;
    this.repositories.set(name, { name, createdAt, images: new Map(), tags: new Map() });
  }

  /** `REGISTRY/REPOSITORY:TAG` */
  public imageUri(repository: string, tag: string): string {
    return `${this.registry}/${repository}:${tag}`;
  }

  /** The digest `tag` resolves to (it is pushed if it was not yet). */
  public digestOf(repository: string, tag: string): string {
    const found = this.lookup(repository, { imageTag: tag });
    if ('missing' in found) throw new Error(`ecr: ${found.missing}`);
    return found.image.digest;
  }

  /** `REGISTRY/REPOSITORY@DIGEST` of what `tag` resolves to (it is pushed if it was not yet). */
  public pinnedUri(repository: string, tag: string): string {
    return `${this.registry}/${repository}@${this.digestOf(repository, tag)}`;
  }

  /**
   * Push `tag` (moving it if it pointed elsewhere) and return the event ECR
   * would put on EventBridge, ready to feed the trigger.
   */
  public pushImage(repository: string, tag: string, digest = digestOfTag(repository, tag)): EcrPushEvent {
    const repo = this.repositories.get(repository);
    if (repo === undefined) throw new Error(`ecr: repository '${repository}' does not exist`);
    if (!DIGEST.test(digest)) throw new Error(`ecr: '${digest}' is not a sha256 digest`);
    const previous = repo.tags.get(tag) ?? this.implicitDigest(repo, tag);
    if (previous !== undefined) repo.images.get(previous)?.tags.delete(tag);
    this.forgotten.delete(`${repository}@${digest}`);
    repo.tags.set(tag, digest);
    this.storeImage(repo, digest).tags.add(tag);
    const at = this.env.now();
    return {
      version: '0',
      id: uuidFrom(`${repository}:${tag}@${digest}#${at}`),
      'detail-type': 'ECR Image Action',
      source: 'aws.ecr',
      account: this.env.account,
      time: new Date(at).toISOString().replace(/\.\d{3}Z$/, 'Z'),
      region: this.env.region,
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
   * both), as `docker push` would. Returns false, pushing nothing, when it
   * is not an image of this registry's repositories.
   */
  public pushUri(image: string): boolean {
    const ref = parseImage(image);
    if (ref === undefined || ref.registry !== this.registry) return false;
    const repo = this.repositories.get(ref.repository);
    if (repo === undefined) return false;
    if (ref.tag !== undefined) {
      this.pushImage(ref.repository, ref.tag, ref.digest ?? digestOfTag(ref.repository, ref.tag));
      return true;
    }
    if (ref.digest === undefined) return false;
    this.forgotten.delete(`${ref.repository}@${ref.digest}`);
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
   * `REPO@DIGEST`. Its digest no longer resolves, nor do tags pointing to it.
   */
  public forgetImage(image: string): void {
    const ref = parseImage(image);
    let repository: string;
    let digest: string | undefined;
    if (ref !== undefined) {
      repository = ref.repository;
      const repo = this.repositories.get(repository);
      const tag = ref.tag ?? 'latest';
      digest = ref.digest ?? (repo === undefined ? undefined : (repo.tags.get(tag) ?? this.implicitDigest(repo, tag)));
    } else {
      const at = image.lastIndexOf('@');
      if (at <= 0) throw new Error(`ecr.forgetImage: '${image}' is neither an ECR image URI nor REPOSITORY@DIGEST`);
      repository = image.slice(0, at);
      digest = image.slice(at + 1);
    }
    if (digest === undefined) return;
    this.forgotten.add(`${repository}@${digest}`);
    this.repositories.get(repository)?.images.delete(digest);
  }

  /** Resolve an image reference the way ECS would pull it. */
  public resolveImage(image: string): ImageResolution {
    const ref = parseImage(image);
    if (ref === undefined || ref.registry !== this.registry) return { kind: 'external', canonical: image };
    // A pull by `repo:tag@digest` uses the digest alone; without either, Docker pulls `latest`.
    const id: ImageIdentifier = ref.digest !== undefined ? { imageDigest: ref.digest } : { imageTag: ref.tag ?? 'latest' };
    const found = this.lookup(ref.repository, id);
    if ('missing' in found) return { kind: 'missing', reason: found.missing };
    const digest = found.image.digest;
    const canonical = `${this.registry}/${ref.repository}@${digest}`;
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
    const tags = [...(this.repositories.get(resolved.repository)?.images.get(resolved.digest)?.tags ?? [])].sort();
    return tags.find((t) => t !== 'latest') ?? tags[0];
  }

  /** Install the ECRClient mock; returns the function that removes it. */
  public install(): () => void {
    const stub = mockClient(ECRClient);
    refuseUnimplemented(stub, this.env, 'ecr', 'ECR');
    stub.on(DescribeImagesCommand).callsFake(
      serve(this.env, ECRServiceException, {
        action: 'ecr:DescribeImages',
        authorize: (input: DescribeImagesCommandInput) => [
          { action: 'ecr:DescribeImages', resources: [this.arnOf(input.repositoryName, input.registryId)] },
        ],
        run: (input: DescribeImagesCommandInput) => this.describeImages(input),
      }),
    );
    stub.on(BatchGetImageCommand).callsFake(
      serve(this.env, ECRServiceException, {
        action: 'ecr:BatchGetImage',
        authorize: (input: BatchGetImageCommandInput) => [
          { action: 'ecr:BatchGetImage', resources: [this.arnOf(input.repositoryName, input.registryId)] },
        ],
        run: (input: BatchGetImageCommandInput) => this.batchGetImage(input),
      }),
    );
    stub.on(DescribeRepositoriesCommand).callsFake(
      serve(this.env, ECRServiceException, {
        action: 'ecr:DescribeRepositories',
        authorize: (input: DescribeRepositoriesCommandInput) => [
          {
            action: 'ecr:DescribeRepositories',
            resources:
              input.repositoryNames === undefined
                ? ['*']
                : input.repositoryNames.map((name) => this.arnOf(name, input.registryId)),
          },
        ],
        run: (input: DescribeRepositoriesCommandInput) => this.describeRepositories(input),
      }),
    );
    return () => stub.restore();
  }

  private arnOf(repository: string | undefined, registryId: string | undefined): string {
    return repositoryArn(this.env, repository ?? '', registryId ?? this.env.account);
  }

  private repository(name: string | undefined, registryId: string | undefined): StoredRepository {
    const registry = registryId ?? this.env.account;
    const repo = registry === this.env.account && name !== undefined ? this.repositories.get(name) : undefined;
    if (repo === undefined) {
      throw modeledError(
        RepositoryNotFoundException,
        `The repository with name '${name ?? ''}' does not exist in the registry with id '${registry}'`,
        {},
      );
    }
    return repo;
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
  private lookup(repository: string, id: ImageIdentifier): { image: StoredImage } | { missing: string } {
    const repo = this.repositories.get(repository);
    if (repo === undefined) return { missing: `repository '${repository}' does not exist` };
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
      if (tagged === undefined || this.forgotten.has(`${repository}@${tagged}`)) {
        return { missing: `tag '${tag}' not found in '${repository}'` };
      }
      if (digest !== undefined && digest !== tagged) {
        return { missing: `tag '${tag}' of '${repository}' does not point to ${digest}` };
      }
      resolved = tagged;
    }
    if (resolved === undefined || this.forgotten.has(`${repository}@${resolved}`) || (!this.implicitImages && !repo.images.has(resolved))) {
      return { missing: `digest '${resolved ?? ''}' not found in '${repository}'` };
    }
    const image = this.storeImage(repo, resolved);
    if (tag !== undefined && !repo.tags.has(tag)) {
      repo.tags.set(tag, resolved);
      image.tags.add(tag);
    }
    return { image };
  }

  private detail(repo: StoredRepository, image: StoredImage): ImageDetail {
    const detail: ImageDetail = {
      registryId: this.env.account,
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

  private describeImages(input: DescribeImagesCommandInput): Output<DescribeImagesCommandOutput> {
    const repo = this.repository(input.repositoryName, input.registryId);
    if (input.imageIds === undefined) {
      const status = input.filter?.tagStatus ?? 'ANY';
      const images = [...repo.images.values()].filter(
        (image) => status === 'ANY' || (status === 'TAGGED') === image.tags.size > 0,
      );
      return { imageDetails: images.map((image) => this.detail(repo, image)) };
    }
    const details = new Map<string, ImageDetail>();
    for (const id of input.imageIds) {
      const found = this.lookup(repo.name, id);
      if ('missing' in found) {
        throw modeledError(
          ImageNotFoundException,
          `The image with imageId {imageDigest:'${id.imageDigest ?? 'null'}', imageTag:'${id.imageTag ?? 'null'}'} ` +
            `does not exist within the repository with name '${repo.name}' in the registry with id '${this.env.account}'`,
          {},
        );
      }
      details.set(found.image.digest, this.detail(repo, found.image));
    }
    return { imageDetails: [...details.values()] };
  }

  private batchGetImage(input: BatchGetImageCommandInput): Output<BatchGetImageCommandOutput> {
    const repo = this.repository(input.repositoryName, input.registryId);
    const ids = input.imageIds ?? [];
    if (ids.length === 0 || ids.length > 100) {
      throw modeledError(InvalidParameterException, 'imageIds must contain between 1 and 100 image identifiers', {});
    }
    const images: Image[] = [];
    const failures: ImageFailure[] = [];
    for (const id of ids) {
      const found = this.lookup(repo.name, id);
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
        registryId: this.env.account,
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

  private describeRepositories(input: DescribeRepositoriesCommandInput): Output<DescribeRepositoriesCommandOutput> {
    const names = input.repositoryNames ?? [...this.repositories.keys()];
    const repositories: Repository[] = names.map((name) => {
      const repo = this.repository(name, input.registryId);
      return {
        repositoryArn: repositoryArn(this.env, repo.name),
        registryId: this.env.account,
        repositoryName: repo.name,
        repositoryUri: `${this.registry}/${repo.name}`,
        createdAt: new Date(repo.createdAt),
        imageTagMutability: 'MUTABLE',
        imageScanningConfiguration: { scanOnPush: true },
        encryptionConfiguration: { encryptionType: 'AES256' },
      };
    });
    return { repositories };
  }
}
