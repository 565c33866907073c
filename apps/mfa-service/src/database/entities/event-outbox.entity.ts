import { Column, Entity, PrimaryColumn } from 'typeorm';

/** BullMQ jobs written with the change that caused them; EventRelay moves them to Redis. */
@Entity({ name: 'event_outbox' })
export class EventOutboxEntity {
  @PrimaryColumn('uuid') id: string;
  @Column({ name: 'job_name', type: 'text' }) jobName: string;
  @Column({ type: 'jsonb' }) payload: Record<string, unknown>;
  @Column({ name: 'created_at', type: 'timestamptz' }) createdAt: Date;
}
