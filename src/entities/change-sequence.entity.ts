import { Column, Entity, PrimaryColumn } from 'typeorm';

/**
 * The last change reference number issued in a year. Numbering locks this row, so two changes created at the same
 * moment get consecutive numbers rather than the same one.
 */
@Entity('change_sequence')
export class ChangeSequence {
  @PrimaryColumn({ type: 'int' })
  year: number;

  @Column({ type: 'int' })
  lastNumber: number;
}
