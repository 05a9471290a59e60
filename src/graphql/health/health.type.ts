import { Field, Float, ObjectType, registerEnumType } from 'type-graphql';
import { TrainingBackendEnum } from '../runs/training-hyperparameters.type';
import type { DatabaseStatusValue, HealthStatusValue } from './health-probe';

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
export class Health {
  @Field(() => HealthStatus, { description: 'OK, or DEGRADED while the database does not answer.' })
  status!: HealthStatusValue;

  @Field(() => DatabaseStatus)
  database!: DatabaseStatusValue;

  @Field({ description: 'mlplane version.' })
  version!: string;

  @Field(() => TrainingBackendEnum, { description: 'Active TensorFlow.js backend of this process: TENSORFLOW (native libtensorflow) or CPU (pure JS).' })
  backend!: TrainingBackendEnum;

  @Field(() => Float, { description: 'Seconds since this process started.' })
  uptimeSeconds!: number;
}
