import { Field, ID, InputType, ObjectType, registerEnumType } from 'type-graphql';
import { Connection } from '../common/connection.type';
import { Node } from '../common/node.type';

export enum RoleEnum {
  VIEWER = 'VIEWER',
  EDITOR = 'EDITOR',
  ADMIN = 'ADMIN',
  PREDICTOR = 'PREDICTOR',
}
registerEnumType(RoleEnum, {
  name: 'Role',
  description: 'What an API key may do.',
  valuesConfig: {
    VIEWER: { description: 'Queries and subscriptions.' },
    EDITOR: { description: 'VIEWER, plus every mutation on datasets, models, runs, studies, deployments and alerts.' },
    ADMIN: { description: 'EDITOR, plus API keys, the audit log and webhook URLs.' },
    PREDICTOR: { description: 'Only predict, recordActuals and explainPrediction, on the deployments named on the key.' },
  },
});

export enum AuditOutcomeEnum {
  SUCCEEDED = 'SUCCEEDED',
  FAILED = 'FAILED',
  DENIED = 'DENIED',
}
registerEnumType(AuditOutcomeEnum, {
  name: 'AuditOutcome',
  description: 'How an audited mutation ended: done, failed (with its error code), or refused by auth.',
});

@ObjectType({ implements: Node, description: 'An API key. Its secret is shown once, by createApiKey, and stored only as a hash.' })
export class ApiKey {
  @Field(() => ID) id!: string;
  @Field({ description: 'Recorded as the actor of everything the key does.' }) name!: string;
  @Field(() => RoleEnum) role!: RoleEnum;
  @Field(() => [ID], { description: 'PREDICTOR keys: the deployments they may serve.' }) deploymentIds!: string[];
  @Field(() => Date, { nullable: true }) expiresAt!: Date | null;
  @Field(() => Date, { nullable: true, description: 'Last authenticated use (written at most once a minute).' }) lastUsedAt!: Date | null;
  @Field(() => Date, { nullable: true }) revokedAt!: Date | null;
  @Field() createdAt!: Date;
}

@ObjectType()
export class CreateApiKeyPayload {
  @Field(() => ApiKey) apiKey!: ApiKey;
  @Field({ description: 'The secret to send as `Authorization: Bearer <key>`. Shown this once: it is not stored.' }) key!: string;
}

@InputType()
export class CreateApiKeyInput {
  @Field({ description: 'Unique; 1-64 letters, digits or . _ @ -. `mlplane`, `local` and `anonymous` are reserved.' }) name!: string;
  @Field(() => RoleEnum) role!: RoleEnum;
  @Field(() => [String], { nullable: true, description: 'PREDICTOR keys (required for them, refused for others): deployment names or ids.' })
  deployments?: string[] | null;
  @Field(() => Date, { nullable: true, description: 'When the key stops working; open sockets using it close then.' }) expiresAt?: Date | null;
}

@ObjectType({ implements: Node, description: 'One audited mutation: accepted, failed or refused.' })
export class AuditEvent {
  @Field(() => ID) id!: string;
  @Field({ description: "The key's name; `anonymous` for a request without a valid key (HTTP 401), `local` when auth is disabled." }) principal!: string;
  @Field(() => RoleEnum, { nullable: true, description: "The key's role; null for a request without a valid key." }) role!: RoleEnum | null;
  @Field({ description: 'The mutation field, e.g. `updateDeployment`.' }) operation!: string;
  @Field(() => [String], { description: 'Ids and deployment names the arguments named, and ids of what the mutation returned.' }) targetIds!: string[];
  @Field(() => AuditOutcomeEnum) outcome!: AuditOutcomeEnum;
  @Field(() => String, { nullable: true }) errorCode!: string | null;
  @Field() requestId!: string;
  @Field(() => String, { nullable: true }) clientAddress!: string | null;
  @Field({ description: 'When it happened.' }) createdAt!: Date;
}

@ObjectType()
export class AuditEventConnection extends Connection(AuditEvent, 'AuditEvent') {}

@ObjectType()
export class ApiKeyConnection extends Connection(ApiKey, 'ApiKey') {}

@InputType()
export class AuditEventFilter {
  @Field(() => String, { nullable: true }) principal?: string | null;
  @Field(() => String, { nullable: true }) operation?: string | null;
  @Field(() => AuditOutcomeEnum, { nullable: true }) outcome?: AuditOutcomeEnum | null;
  @Field(() => Date, { nullable: true, description: 'Inclusive.' }) from?: Date | null;
  @Field(() => Date, { nullable: true, description: 'Inclusive.' }) to?: Date | null;
}
