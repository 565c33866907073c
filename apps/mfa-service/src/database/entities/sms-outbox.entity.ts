import { Column, Entity, Index, PrimaryColumn } from 'typeorm';

/** Messages of the default SMS sender: tests and operators read them here. */
@Entity({ name: 'sms_outbox' })
@Index('sms_outbox_phone', ['phoneNumber', 'createdAt'])
export class SmsOutboxEntity {
  @PrimaryColumn('uuid') id: string;
  @Column({ name: 'phone_number', type: 'text' }) phoneNumber: string;
  @Column({ type: 'text' }) body: string;
  @Column({ name: 'serial_number', type: 'text' }) serialNumber: string;
  @Column({ name: 'created_at', type: 'timestamptz' }) createdAt: Date;
}
