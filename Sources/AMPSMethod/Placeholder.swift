import AMPSModel
