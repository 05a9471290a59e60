import { Field, Float, ObjectType, registerEnumType } from 'type-graphql';
import type { DatabaseStatusValue, HealthReport, HealthStatusValue } from './health-probe';

export enum HealthStatus {
  OK = 'OK',
  DEGRADED = 'DEGRADED',
}

export enum DatabaseStatus {
  UP = 'UP',
  DOWN = 'DOWN',
}

registerEnumType(HealthStatus, { name: 'HealthStatus', description: 'Overall state of the API process.' });
registerEnumType(DatabaseStatus, { name: 'DatabaseStatus', description: 'Whether PostgreSQL answers.' });

@ObjectType({ description: 'Liveness details of the API process that answered.' })
export class Health implements HealthReport {
  @Field(() => HealthStatus, { description: 'OK, or DEGRADED while the database does not answer.' })
  status!: HealthStatusValue;

  @Field(() => DatabaseStatus)
  database!: DatabaseStatusValue;

  @Field({ description: 'mlplane version.' })
  version!: string;

  @Field({ description: 'Active TensorFlow.js backend (`tensorflow` is the native one).' })
  backend!: string;

  @Field(() => Float, { description: 'Seconds since this process started.' })
  uptimeSeconds!: number;
}
