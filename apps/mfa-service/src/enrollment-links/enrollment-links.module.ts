import { Module } from '@nestjs/common';
import { EnrollmentLinkStore } from './enrollment-link.store';
import { EnrollmentLinksController } from './enrollment-links.controller';
import { EnrollmentLinksService } from './enrollment-links.service';

/** One-time links to the hosted enrollment page (apps/web). Bus and env come from the root module (both global). */
@Module({
  controllers: [EnrollmentLinksController],
  providers: [EnrollmentLinkStore, EnrollmentLinksService],
})
export class EnrollmentLinksModule {}
