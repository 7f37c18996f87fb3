import { registerDecorator, ValidationArguments } from 'class-validator';
import { nameProblem } from '../../util/names';

/**
 * Validates a free-text display name with the rules of util/names.ts (no control, format or invisible characters,
 * no unpaired surrogates, no Latin mixed with Cyrillic or Greek, 1 to 200 characters once trimmed), so every
 * mutation that takes a name refuses the same inputs with BAD_USER_INPUT naming the field. Null and undefined
 * pass: optional fields say so with @IsOptional.
 */
export function DisplayName(): PropertyDecorator {
  return (target, propertyName) => {
    registerDecorator({
      name: 'displayName',
      target: target.constructor,
      propertyName: String(propertyName),
      validator: {
        validate: (value: unknown) => value == null || (typeof value === 'string' && nameProblem(value.normalize('NFC').trim()) === null),
        defaultMessage: (args?: ValidationArguments) =>
          typeof args?.value === 'string' ? nameProblem(args.value.normalize('NFC').trim()) ?? 'is not a valid name' : 'must be a string',
      },
    });
  };
}
