import AMPSMethod
