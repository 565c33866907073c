import { Column, Entity, Index, PrimaryColumn } from 'typeorm';

/** Messages of the development SMS sender; number and body are envelopes bound to the row. */
@Entity({ name: 'sms_outbox' })
@Index('sms_outbox_serial', ['serialNumber', 'createdAt', 'seq'])
@Index('sms_outbox_created', ['createdAt'])
export class SmsOutboxEntity {
  @PrimaryColumn('uuid') id: string;
  @Column({ name: 'account_id', type: 'uuid' }) accountId: string;
  @Column({ name: 'phone_enc', type: 'text' }) phoneEnc: string;
  @Column({ name: 'body_enc', type: 'text' }) bodyEnc: string;
  @Column({ name: 'serial_number', type: 'text' }) serialNumber: string;
  @Column({ name: 'created_at', type: 'timestamptz' }) createdAt: Date;
  @Column({ type: 'bigint', insert: false, update: false }) seq: string;
}
